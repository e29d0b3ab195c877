import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '#shared/log.ts'
import { KIND, startOtlpCollector } from '#test/harness/otlp-collector.ts'
import { samplerFrom } from './otel.ts'
import { activeTracer, carrierOf, startTracing, stopTracing } from './tracing.ts'

const log = createLogger('test', { level: 'silent' })

afterEach(async () => {
  await stopTracing()
})

describe('startTracing', () => {
  it('is off without an endpoint: no tracer, nothing to check at the call sites', async () => {
    expect(await startTracing({ serviceName: 'x', endpoint: undefined, log })).toBeUndefined()
    expect(await startTracing({ serviceName: 'x', endpoint: '', log })).toBeUndefined()
    expect(activeTracer()).toBeUndefined()
  })

  it('nests spans by context and records a failure by its type only', async () => {
    const collector = await startOtlpCollector()
    try {
      const tracer = await startTracing({
        serviceName: 'unit',
        endpoint: collector.endpoint,
        log,
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '20' },
      })
      if (!tracer) throw new Error('tracing did not start')
      let carried: ReturnType<typeof tracer.carrier>
      await tracer.span('outer', { kind: 'server', parent: 'root' }, async () => {
        await tracer.span('inner', { kind: 'client' }, async () => {
          carried = tracer.carrier()
        })
        await expect(
          tracer.span('failing', {}, async () => {
            throw new TypeError('row 42 holds secret@example.com')
          }),
        ).rejects.toThrow(TypeError)
      })
      expect(tracer.carrier()).toBeUndefined()
      await vi.waitFor(() => expect(collector.spans()).toHaveLength(3), { timeout: 5_000 })
      const byName = Object.fromEntries(collector.spans().map((s) => [s.name, s]))
      const outer = byName.outer
      expect(outer).toMatchObject({ service: 'unit', kind: KIND.server, parentSpanId: '' })
      expect(byName.inner).toMatchObject({ kind: KIND.client, parentSpanId: outer?.spanId })
      expect(carried?.traceparent).toBe(`00-${outer?.traceId}-${byName.inner?.spanId}-01`)
      expect(byName.failing).toMatchObject({
        parentSpanId: outer?.spanId,
        status: 2,
        attributes: { 'error.type': 'TypeError' },
      })
      expect(JSON.stringify(collector.spans())).not.toContain('secret@example.com')
    } finally {
      await stopTracing()
      await collector.close()
    }
  })
})

describe('carrierOf', () => {
  const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
  it('keeps a well-formed W3C trace context and drops anything else', () => {
    expect(carrierOf({ traceparent: valid, request_id: 'r' })).toEqual({ traceparent: valid })
    expect(carrierOf({ traceparent: valid, tracestate: 'a=1' })).toEqual({
      traceparent: valid,
      tracestate: 'a=1',
    })
    expect(carrierOf({ traceparent: valid, tracestate: 'x'.repeat(513) })).toEqual({
      traceparent: valid,
    })
    for (const bad of [
      undefined,
      null,
      'str',
      {},
      { traceparent: 'nope' },
      { traceparent: valid.toUpperCase() },
    ]) {
      expect(carrierOf(bad)).toBeUndefined()
    }
  })
})

describe('samplerFrom (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG)', () => {
  it('follows the specification’s names, parent-based ratio 1 by default', () => {
    expect(samplerFrom(undefined, undefined).toString()).toBe(
      'ParentBased{root=TraceIdRatioBased{1}, remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler}',
    )
    expect(samplerFrom('always_off', undefined).toString()).toBe('AlwaysOffSampler')
    expect(samplerFrom('traceidratio', '0.25').toString()).toBe('TraceIdRatioBased{0.25}')
    // An out-of-range ratio is not half-applied: the default ratio stands.
    expect(samplerFrom('traceidratio', '7').toString()).toBe('TraceIdRatioBased{1}')
  })
})
