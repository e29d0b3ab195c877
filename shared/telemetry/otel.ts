import {
  type Context,
  context,
  SpanKind as OtelKind,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace'
import type { Logger } from '#shared/log.ts'
import type { ActiveSpan, Attributes, SpanKind, TraceCarrier, Tracer } from './tracing.ts'

/**
 * The OpenTelemetry SDK behind tracing.ts's Tracer, loaded only when tracing starts.
 * Context travels with AsyncLocalStorage, so a transaction's span is the child of its
 * request's without anything passing it along; W3C trace context crosses processes.
 *
 * Standard variables read here (the SDK's Node setup would read them; this is not it):
 * - OTEL_TRACES_SAMPLER: always_on, always_off, traceidratio, parentbased_always_on,
 *   parentbased_always_off, parentbased_traceidratio (the default, with ratio 1);
 * - OTEL_TRACES_SAMPLER_ARG: the ratio, 0–1;
 * - OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
 *   OTEL_BSP_EXPORT_TIMEOUT: the batch span processor's settings;
 * - OTEL_SERVICE_NAME overrides the function's name.
 * The exporter reads the other OTEL_EXPORTER_OTLP_* ones (headers, timeout, TLS) itself.
 */

const KINDS: Record<SpanKind, OtelKind> = {
  server: OtelKind.SERVER,
  client: OtelKind.CLIENT,
  producer: OtelKind.PRODUCER,
  consumer: OtelKind.CONSUMER,
  internal: OtelKind.INTERNAL,
}

export interface OtelTracerOptions {
  serviceName: string
  /** OTEL_EXPORTER_OTLP_ENDPOINT, validated by the caller. */
  endpoint: string
  log: Logger
  env: NodeJS.ProcessEnv
}

export function createOtelTracer(options: OtelTracerOptions): Tracer {
  const { env, log } = options
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  const propagator = new W3CTraceContextPropagator()
  propagation.setGlobalPropagator(propagator)

  const processor = new BatchSpanProcessor({
    // The URL from the validated endpoint (the signal's own variable wins, as specified),
    // not from process.env behind the caller's back; headers and TLS still come from there.
    exporter: new OTLPTraceExporter({
      url:
        env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
        `${options.endpoint.replace(/\/+$/, '')}/v1/traces`,
    }),
    ...positive('scheduledDelayMillis', env.OTEL_BSP_SCHEDULE_DELAY),
    ...positive('maxQueueSize', env.OTEL_BSP_MAX_QUEUE_SIZE),
    ...positive('maxExportBatchSize', env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE),
    ...positive('exportTimeoutMillis', env.OTEL_BSP_EXPORT_TIMEOUT),
  })
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME || options.serviceName,
    }),
    sampler: samplerFrom(env.OTEL_TRACES_SAMPLER, env.OTEL_TRACES_SAMPLER_ARG),
    spanProcessors: [processor],
  })
  trace.setGlobalTracerProvider(provider)
  const tracer = provider.getTracer('tenantry')

  function parentContext(parent: TraceCarrier | 'root' | undefined): Context {
    if (parent === undefined) return context.active()
    if (parent === 'root') return ROOT_CONTEXT
    return propagation.extract(ROOT_CONTEXT, parent)
  }

  return {
    span(name, spanOptions, fn) {
      const span = tracer.startSpan(
        name,
        {
          kind: KINDS[spanOptions.kind ?? 'internal'],
          attributes: defined(spanOptions.attributes),
        },
        parentContext(spanOptions.parent),
      )
      const handle = activeSpan(span)
      const inside = trace.setSpan(context.active(), span)
      let result: ReturnType<typeof fn>
      try {
        result = context.with(inside, fn, undefined, handle)
      } catch (error) {
        failed(span, error)
        span.end()
        throw error
      }
      if (result instanceof Promise) {
        return result.then(
          (value) => {
            span.end()
            return value
          },
          (error: unknown) => {
            failed(span, error)
            span.end()
            throw error
          },
        ) as typeof result
      }
      span.end()
      return result
    },

    carrier() {
      const current = trace.getSpan(context.active())
      if (!current?.spanContext()) return undefined
      const carrier: TraceCarrier = {}
      propagation.inject(context.active(), carrier)
      return carrier.traceparent ? carrier : undefined
    },

    traceId() {
      return trace.getSpan(context.active())?.spanContext().traceId
    },

    async shutdown() {
      await provider.shutdown().catch((error: unknown) => {
        log.warn({ err: error }, 'tracing: spans not exported at shutdown')
      })
      trace.disable()
      propagation.disable()
      context.disable()
    },
  }
}

function activeSpan(span: Span): ActiveSpan {
  return {
    setAttribute: (name, value) => void span.setAttribute(name, value),
    updateName: (name) => void span.updateName(name),
    fail: (message) =>
      void span.setStatus({
        code: SpanStatusCode.ERROR,
        ...(message === undefined ? {} : { message }),
      }),
  }
}

/**
 * Only the exception's type goes on the span, never its message: a database error's
 * message can quote a row, and spans leave the cluster.
 */
function failed(span: Span, error: unknown): void {
  const type = error instanceof Error ? error.name : typeof error
  span.setAttribute('error.type', type)
  span.setStatus({ code: SpanStatusCode.ERROR })
}

function defined(attributes: Attributes | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  if (!attributes) return out
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) out[name] = value
  return out
}

function positive<K extends string>(key: K, text: string | undefined): Partial<Record<K, number>> {
  const value = Number(text)
  return text && Number.isFinite(value) && value > 0 ? ({ [key]: value } as Record<K, number>) : {}
}

/** The OTEL_TRACES_SAMPLER values of the specification; unknown ones fall back to the default. */
export function samplerFrom(name: string | undefined, arg: string | undefined): Sampler {
  const parsed = Number(arg)
  const ratio = arg !== undefined && parsed >= 0 && parsed <= 1 ? parsed : 1
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler()
    case 'always_off':
      return new AlwaysOffSampler()
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio)
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    default:
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) })
  }
}
