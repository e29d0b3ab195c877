import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { createTestAuth, type TestAuth, useJwksServer } from '#test/harness/auth.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { chatOwner, createOrg, createUser } from '#test/harness/fixtures.ts'
import { freePort } from '#test/harness/local-servers.ts'
import { startNpm, stopNpm, useDataDir } from '#test/harness/npm-start.ts'
import {
  KIND,
  type OtlpCollector,
  type ReceivedSpan,
  startOtlpCollector,
} from '#test/harness/otlp-collector.ts'
import {
  type RunningProcess,
  startProcess,
  verifyingFunctionEnv,
  waitReady,
} from '#test/harness/process.ts'

/**
 * Tracing across real processes, exported by the real OTLP exporter to a receiver of this
 * file's own: a request's `traceparent` becomes its server span's parent; the database
 * transaction is the request's child; a config write's hint and a chat reply carry the
 * trace to the replicas that consume them (another process, through the run's Redis),
 * with the request id; `npm start`'s gateway hop sits between the caller and the
 * function. And with OTEL_EXPORTER_OTLP_ENDPOINT unset, nothing is sent at all.
 */

const db = useTestDatabase()
let auth: TestAuth
const jwksUrl = useJwksServer(() => auth.keys)
let collector: OtlpCollector
const running: RunningProcess[] = []

beforeAll(async () => {
  auth = await createTestAuth()
  collector = await startOtlpCollector()
})

afterAll(async () => {
  for (const proc of running) proc.child.kill('SIGKILL')
  await Promise.all(running.map((proc) => proc.exited))
  await collector.close()
})

const hex = (bytes: number) => randomBytes(bytes).toString('hex')

/** A caller's span: a fresh trace id and span id, sampled. */
function callerContext() {
  const traceId = hex(16)
  const spanId = hex(8)
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` }
}

async function start(
  script: string,
  extra: Record<string, string>,
): Promise<{ url: string; proc: RunningProcess }> {
  const port = await freePort()
  const proc = startProcess(
    script,
    verifyingFunctionEnv(port, db.url('tenantry_app'), jwksUrl(), {
      REDIS_URL: inject('redisUrl'),
      // Export every 50 ms rather than every 5 s, so the test need not wait.
      OTEL_BSP_SCHEDULE_DELAY: '50',
      // Request lines are logged at info.
      LOG_LEVEL: 'info',
      ...extra,
    }),
  )
  running.push(proc)
  await waitReady(port, proc)
  return { url: `http://127.0.0.1:${port}`, proc }
}

const traced = (script: string) =>
  start(script, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint })

/** The trace's spans once `done` holds for them (exports are batched). */
/**
 * The trace's spans once every one named in `expected` (`[name, service?]`) has arrived.
 * Each process exports in batches of its own, and a parent ends after its children: the
 * last span to arrive is not the one the trace ends with.
 */
async function spansOf(
  traceId: string,
  expected: ReadonlyArray<readonly [name: string, service?: string]>,
): Promise<ReceivedSpan[]> {
  let spans: ReceivedSpan[] = []
  await vi.waitFor(
    () => {
      spans = collector.spans().filter((span) => span.traceId === traceId)
      const missing = expected.filter(
        ([name, service]) =>
          !spans.some((s) => s.name === name && (!service || s.service === service)),
      )
      if (missing.length > 0) {
        throw new Error(
          `missing ${JSON.stringify(missing)}; so far: ${JSON.stringify(spans, null, 1)}`,
        )
      }
    },
    { timeout: 10_000, interval: 50 },
  )
  return spans
}

function one(spans: ReceivedSpan[], name: string, service?: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name && (!service || s.service === service))
  expect(
    found.map((s) => s.name),
    `one "${name}" span`,
  ).toEqual([name])
  return found[0] as ReceivedSpan
}

describe('a config write', () => {
  it('is one trace from the caller through the transaction and the hint to another replica', async () => {
    const writer = await traced('functions/config/main.ts')
    // The replica that hears the hint; it is found by its spans' service name.
    await traced('functions/projects/main.ts')
    const token = await auth.clientBearer('tracing-ops', ['config:read', 'config:write'])
    const current = await fetch(`${writer.url}/v1/configs/projects`, {
      headers: { authorization: token },
    })
    expect(current.status, writer.proc.output()).toBe(200)
    const data = ((await current.json()) as { data: Record<string, unknown> }).data
    const caller = callerContext()
    const put = await fetch(`${writer.url}/v1/configs/projects`, {
      method: 'PUT',
      headers: {
        authorization: token,
        'content-type': 'application/json',
        'if-match': current.headers.get('etag') ?? '',
        traceparent: caller.traceparent,
        'x-request-id': 'trace-config-1',
      },
      body: JSON.stringify({ data }),
    })
    expect(put.status, writer.proc.output()).toBe(200)

    const spans = await spansOf(caller.traceId, [
      ['PUT /v1/configs/:service', 'config'],
      ['transaction machine', 'config'],
      ['publish config', 'config'],
      ['process config', 'projects'],
    ])
    const request = one(spans, 'PUT /v1/configs/:service', 'config')
    expect(request).toMatchObject({
      parentSpanId: caller.spanId,
      kind: KIND.server,
      attributes: {
        'http.route': '/v1/configs/:service',
        'http.response.status_code': 200,
        'tenantry.request_id': 'trace-config-1',
      },
    })
    // The request's log line names the trace (lines go out in batches: wait for it).
    await vi.waitFor(() => {
      const line = writer.proc
        .output()
        .split('\n')
        .find((text) => text.includes('"request_id":"trace-config-1"'))
      expect(line).toContain(`"trace_id":"${caller.traceId}"`)
    })
    const transaction = one(spans, 'transaction machine', 'config')
    expect(transaction).toMatchObject({ parentSpanId: request.spanId, kind: KIND.client })
    const publish = one(spans, 'publish config', 'config')
    expect(publish).toMatchObject({ parentSpanId: request.spanId, kind: KIND.producer })
    // The other process: its consumer span is the publish's child, with the request id.
    const consumed = one(spans, 'process config', 'projects')
    expect(consumed).toMatchObject({
      parentSpanId: publish.spanId,
      kind: KIND.consumer,
      attributes: {
        'messaging.destination.name': 'config',
        'tenantry.request_id': 'trace-config-1',
      },
    })
  })
})

describe('a chat action', () => {
  it('fans out in the trace of the request that sent it, to the other instance', async () => {
    const a = await traced('functions/chat/main.ts')
    // Named apart (OTEL_SERVICE_NAME), so that the consumer is seen to be the other process.
    const b = await start('functions/chat/main.ts', {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_SERVICE_NAME: 'chat-b',
    })
    const { user, chatId } = await chatOwner(db.admin)
    const authorization = await auth.bearer(user)
    // A stream on B, so that B's hub subscribes to the chat's channel.
    const events = await fetch(`${b.url}/v1/chats/${chatId}/events`, { headers: { authorization } })
    expect(events.status, b.proc.output()).toBe(200)
    const caller = callerContext()
    const posted = await fetch(`${a.url}/v1/chats/${chatId}/actions`, {
      method: 'POST',
      headers: {
        authorization,
        'content-type': 'application/json',
        traceparent: caller.traceparent,
        'x-request-id': 'trace-chat-1',
      },
      body: JSON.stringify({ action: 'ping' }),
    })
    expect(posted.status, a.proc.output()).toBe(202)
    const spans = await spansOf(caller.traceId, [
      ['POST /v1/chats/:chatId/actions', 'chat'],
      ['transaction user', 'chat'],
      ['publish chat', 'chat'],
      ['process chat', 'chat-b'],
    ])
    await events.body?.cancel()
    const request = one(spans, 'POST /v1/chats/:chatId/actions', 'chat')
    expect(request.parentSpanId).toBe(caller.spanId)
    // The transaction that slid the chat's expiry ran as the user, under RLS.
    const transaction = one(spans, 'transaction user', 'chat')
    expect(transaction.parentSpanId).toBe(request.spanId)
    const publish = one(spans, 'publish chat', 'chat')
    expect(publish.parentSpanId).toBe(request.spanId)
    // B has the chat's only stream, so B alone consumes it: the publish's child.
    const consumed = one(spans, 'process chat', 'chat-b')
    expect(consumed).toMatchObject({
      parentSpanId: publish.spanId,
      kind: KIND.consumer,
      attributes: { 'tenantry.request_id': 'trace-chat-1' },
    })
  })
})

describe('npm start', () => {
  const dataDir = useDataDir()

  it('puts its gateway hop between the caller and the function', async () => {
    const server = await startNpm({
      dataDir: dataDir(),
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' },
    })
    try {
      const guest = await fetch(`${server.url}/v1/auth/guest`, { method: 'POST' })
      expect(guest.status, server.output()).toBe(201)
      const { access_token } = (await guest.json()) as { access_token: string }
      const caller = callerContext()
      const list = await fetch(`${server.url}/v1/orgs`, {
        headers: { authorization: `Bearer ${access_token}`, traceparent: caller.traceparent },
      })
      expect(list.status).toBe(200)
      const spans = await spansOf(caller.traceId, [
        ['gateway'],
        ['GET /v1/orgs'],
        ['transaction user'],
      ])
      expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['tenantry']))
      const gateway = one(spans, 'gateway')
      expect(gateway).toMatchObject({
        parentSpanId: caller.spanId,
        attributes: { 'tenantry.function': 'orgs' },
      })
      const request = one(spans, 'GET /v1/orgs')
      expect(request.parentSpanId).toBe(gateway.spanId)
      expect(one(spans, 'transaction user').parentSpanId).toBe(request.spanId)
    } finally {
      expect(await stopNpm(server)).toBe(0)
    }
  })
})

describe('a collector that is down', () => {
  it('costs the requests nothing: they answer, and the process stays up', async () => {
    // A port nothing listens on: every export is refused.
    const nowhere = `http://127.0.0.1:${await freePort()}`
    const fn = await start('functions/projects/main.ts', {
      OTEL_EXPORTER_OTLP_ENDPOINT: nowhere,
      OTEL_BSP_SCHEDULE_DELAY: '20',
    })
    const user = await createUser(db.admin)
    const org = await createOrg(db.admin, user)
    const authorization = await auth.bearer(user)
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${fn.url}/v1/orgs/${org.id}/projects`, {
        headers: { authorization },
      })
      expect(res.status, fn.proc.output()).toBe(200)
      await res.arrayBuffer()
    }
    // Exports kept failing meanwhile (every 20 ms); the process is still serving.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(fn.proc.child.exitCode).toBeNull()
    expect((await fetch(`${fn.url}/readyz`)).status).toBe(200)
  })
})

describe('with OTEL_EXPORTER_OTLP_ENDPOINT unset', () => {
  it('sends nothing, and a bad endpoint refuses to start', async () => {
    const quiet = await start('functions/projects/main.ts', {})
    const user = await createUser(db.admin)
    const org = await createOrg(db.admin, user)
    const caller = callerContext()
    const res = await fetch(`${quiet.url}/v1/orgs/${org.id}/projects`, {
      headers: { authorization: await auth.bearer(user), traceparent: caller.traceparent },
    })
    expect(res.status).toBe(200)
    // The traced processes above export every 50 ms; this one would have by now.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(collector.spans().filter((s) => s.traceId === caller.traceId)).toEqual([])

    const port = await freePort()
    const refused = startProcess(
      'functions/projects/main.ts',
      verifyingFunctionEnv(port, db.url('tenantry_app'), jwksUrl(), {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      }),
    )
    running.push(refused)
    expect(await refused.exited).not.toBe(0)
    expect(refused.output()).toContain('OTEL_EXPORTER_OTLP_ENDPOINT')
  })
})
