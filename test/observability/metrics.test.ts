import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { parse } from 'yaml'
import { FUNCTIONS } from '#platform/functions.ts'
import {
  checkAssets,
  checkDashboard,
  exportedInventory,
} from '#platform/observability/asset-check.ts'
import { MONITORING_DIR } from '#platform/observability/assets.ts'
import type { Inventory } from '#platform/observability/promql-check.ts'
import type { RuleGroup } from '#platform/observability/rule-types.ts'
import { OPS_SECRET, sha256hex } from '#test/harness/app.ts'
import { createTestAuth, TEST_AUDIENCE, TEST_ISSUER } from '#test/harness/auth.ts'
import { Client } from '#test/harness/chat-server.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { freePort } from '#test/harness/local-servers.ts'
import {
  type RunningProcess,
  startProcess,
  verifyingFunctionEnv,
  waitReady,
} from '#test/harness/process.ts'
import { inventoryOf, parseExposition, type Sample } from './exposition.ts'

/**
 * The dashboards and alerts name only what is exported. Every function runs as its own
 * process (functions/<name>/main.ts, as in a pod) on this file's database and the run's
 * Redis; the test drives each through a real journey (guest sign-in, a machine token, an
 * org, projects, a chat over WebSocket, a config write and a refused one) so the series
 * that appear only once something happened exist, scrapes every /metrics, parses it, and
 * checks every panel query, variable, legend, alert and recording rule committed under
 * clusters/base/monitoring/ against it (platform/observability/asset-check.ts). Series of
 * exporters that cannot run here (queue-proxy, CloudNativePG, PgBouncer, redis_exporter)
 * come from platform/observability/external-metrics.ts.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const db = useTestDatabase()

interface Running {
  name: string
  base: string
  proc: RunningProcess
}

const running: Running[] = []
let authorization = ''
let machine = ''

async function start(name: string, env: Record<string, string>): Promise<Running> {
  const port = Number(env.PORT)
  const proc = startProcess(`functions/${name}/main.ts`, env)
  const fn = { name, base: `http://127.0.0.1:${port}`, proc }
  running.push(fn)
  await waitReady(port, proc, 30_000)
  return fn
}

const named = (name: string) => running.find((fn) => fn.name === name) as Running

async function call(name: string, method: string, path: string, body?: unknown, headers = {}) {
  const res = await fetch(`${named(name).base}${path}`, {
    method,
    headers: {
      authorization,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  expect(res.status, `${method} ${path}: ${text}\n${named(name).proc.output()}`).toBeLessThan(300)
  return text ? JSON.parse(text) : undefined
}

async function scrape(fn: Running): Promise<Sample[]> {
  const res = await fetch(`${fn.base}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return parseExposition(await res.text())
}

/** Each function's samples, by name. */
async function scrapeAll(): Promise<Map<string, Sample[]>> {
  return new Map(await Promise.all(running.map(async (fn) => [fn.name, await scrape(fn)] as const)))
}

const has = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.some(
    (s) =>
      s.name === name &&
      s.value > 0 &&
      Object.entries(labels).every(([label, value]) => s.labels[label] === value),
  )

let scraped = new Map<string, Sample[]>()
let samples: Sample[] = []

beforeAll(async () => {
  const auth = await createTestAuth()
  const redisUrl = inject('redisUrl')
  const common = { REDIS_URL: redisUrl, LOG_LEVEL: 'warn' }
  const authPort = await freePort()
  await start('auth', {
    PORT: String(authPort),
    DATABASE_URL: db.url('tenantry_app'),
    AUTH_ISSUER: TEST_ISSUER,
    AUTH_AUDIENCE: TEST_AUDIENCE,
    AUTH_SIGNING_KEY: auth.signingKeyPem,
    AUTH_CLIENTS: JSON.stringify({
      ops: { secret_sha256: sha256hex(OPS_SECRET), scopes: ['config:read', 'config:write'] },
    }),
    ...common,
  })
  // Every other function verifies tokens with the auth process's JWKS, as in a cluster.
  const jwks = `http://127.0.0.1:${authPort}/.well-known/jwks.json`
  await Promise.all(
    FUNCTIONS.filter((fn) => fn.name !== 'auth').map(async (fn) =>
      start(fn.name, verifyingFunctionEnv(await freePort(), db.url('tenantry_app'), jwks, common)),
    ),
  )
  expect(running.map((fn) => fn.name).sort()).toEqual(FUNCTIONS.map((fn) => fn.name).sort())

  // A guest, and a machine client allowed to write configs.
  const guest = await call('auth', 'POST', '/v1/auth/guest')
  authorization = `Bearer ${guest.access_token}`
  const token = await call('auth', 'POST', '/v1/auth/token', {
    grant_type: 'client_credentials',
    client_id: 'ops',
    client_secret: OPS_SECRET,
    scope: 'config:write',
  })
  machine = `Bearer ${token.access_token}`

  // Orgs and projects: created, read, deleted.
  const org = await call('orgs', 'POST', '/v1/orgs', { name: 'Observed' })
  await call('orgs', 'GET', `/v1/orgs/${org.id}`)
  const project = await call('projects', 'POST', `/v1/orgs/${org.id}/projects`, { name: 'Kept' })
  const doomed = await call('projects', 'POST', `/v1/orgs/${org.id}/projects`, { name: 'Gone' })
  await call('projects', 'DELETE', `/v1/projects/${doomed.id}`)
  await call('projects', 'GET', `/v1/orgs/${org.id}/projects`)

  // A chat: opened, a stream with an action and its reply, the stream ended, the chat closed.
  const chat = await call('chat', 'POST', `/v1/projects/${project.id}/chats`)
  const ws = new Client(`${named('chat').base.replace('http', 'ws')}/v1/chats/${chat.id}/ws`, {
    authorization,
  })
  await ws.opened
  // Two actions: a reply that beats the stream's subscription arrives by catch-up, not
  // live, and only live ones are timed; by the first reply the subscription is up.
  ws.send({ type: 'action', id: 'first', action: 'ping' })
  await vi.waitFor(() => expect(ws.replies).toHaveLength(1), { timeout: 10_000 })
  ws.send({ type: 'action', id: 'second', action: 'ping' })
  await vi.waitFor(() => expect(ws.replies).toHaveLength(2), { timeout: 10_000 })
  ws.close()
  await ws.closed
  await call('chat', 'DELETE', `/v1/chats/${chat.id}`)

  // A config write: its hint reaches the projects process, which times the propagation.
  await call(
    'config',
    'PUT',
    '/v1/configs/projects',
    { data: { max_projects_per_org: 40 } },
    { authorization: machine, 'if-match': '*' },
  )
  await vi.waitFor(
    async () =>
      expect(has(await scrape(named('projects')), 'config_propagation_seconds_count')).toBe(true),
    { timeout: 10_000 },
  )

  // A version that fails its schema, written past the API with a hint for it: refused.
  const [bad] = await db.admin<{ version: number }[]>`
    update service_configs set version = version + 1, data = '{"max_projects_per_org": "many"}'
     where service = 'projects' returning version`
  const publisher = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  try {
    await publisher.publish(
      'config:projects',
      JSON.stringify({ service: 'projects', version: bad?.version, committed_at: Date.now() }),
    )
  } finally {
    publisher.disconnect()
  }
  await vi.waitFor(
    async () => expect(has(await scrape(named('projects')), 'config_refused_total')).toBe(true),
    { timeout: 10_000 },
  )

  await call('orgs', 'DELETE', `/v1/orgs/${org.id}`)
  scraped = await scrapeAll()
  samples = [...scraped.values()].flat()
}, 120_000)

afterAll(async () => {
  for (const fn of running.splice(0)) {
    fn.proc.child.kill('SIGTERM')
    await fn.proc.exited
  }
})

async function committedRules(): Promise<RuleGroup[]> {
  const doc = parse(await readFile(join(ROOT, MONITORING_DIR, 'rules.yaml'), 'utf8'))
  return doc.spec.groups as RuleGroup[]
}

async function committedDashboards(): Promise<object[]> {
  const dir = join(ROOT, MONITORING_DIR, 'dashboards')
  const files = (await readdir(dir)).filter((file) => file.endsWith('.json'))
  expect(files.length).toBeGreaterThan(0)
  return Promise.all(files.map(async (file) => JSON.parse(await readFile(join(dir, file), 'utf8'))))
}

describe('the functions’ /metrics', () => {
  it('carry what the journey did, in every function', () => {
    for (const [name, labels] of [
      ['orgs_created_total', { outcome: 'committed' }],
      ['orgs_deleted_total', {}],
      ['projects_created_total', {}],
      ['projects_deleted_total', {}],
      ['chats_opened_total', {}],
      ['chats_closed_total', {}],
      ['chat_replies_delivered_total', { transport: 'ws' }],
      ['chat_stream_closes_total', { transport: 'ws' }],
      ['chat_fanout_latency_seconds_count', {}],
      ['config_propagation_seconds_count', { service: 'projects' }],
      ['config_refused_total', { service: 'projects' }],
      ['config_hints_total', { outcome: 'newer' }],
      ['db_pool_reserve_wait_seconds_count', {}],
    ] as const) {
      expect(has(samples, name, labels), `${name} ${JSON.stringify(labels)}`).toBe(true)
    }
    // Each function answered API requests, and labels them by its own route patterns.
    for (const fn of FUNCTIONS) {
      const own = scraped.get(fn.name) ?? []
      const routes = new Set(fn.routes.map((route) => route.path))
      const answered = own.filter((s) => s.name === 'http_requests_total' && s.value > 0)
      expect(
        answered.some((s) => routes.has(s.labels.route as string)),
        fn.name,
      ).toBe(true)
    }
  })

  it('never carry an id: no label value is a UUID, no label names a tenant or a user', () => {
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i
    for (const sample of samples) {
      for (const [label, value] of Object.entries(sample.labels)) {
        expect(value, `${sample.name}{${label}}`).not.toMatch(uuid)
        expect(label, sample.name).not.toMatch(/org|user|tenant|project|chat_?id/i)
      }
    }
  })
})

describe('the dashboards and rules (clusters/base/monitoring/)', () => {
  let exported: Inventory

  beforeAll(() => {
    exported = exportedInventory(inventoryOf(samples))
  })

  it('name only metrics and labels something exports', async () => {
    const problems = checkAssets(exported, await committedRules(), await committedDashboards())
    const report = problems.map((p) => `${p.where}: ${p.message}`).join('\n')
    expect(problems, report).toEqual([])
  })

  it('would fail on a metric or a label nothing exports (the scrape is not permissive)', () => {
    const board = {
      title: 'Broken',
      panels: [
        { title: 'a', targets: [{ refId: 'A', expr: 'sum(rate(no_such_metric[5m]))' }] },
        { title: 'b', targets: [{ refId: 'A', expr: 'sum by (tenant) (http_requests_total)' }] },
        {
          title: 'c',
          targets: [{ refId: 'A', expr: 'http_request_duration_seconds_bucket{le="1"}' }],
        },
      ],
    }
    expect(checkDashboard(board, exported).map((p) => p.message)).toEqual([
      'metric "no_such_metric": nothing exports it',
      expect.stringMatching(
        /^label "tenant" in sum by: not among \{.*function.*route.*status.*\}$/,
      ),
      expect.stringMatching(/le="1"\}: no such bucket/),
    ])
  })
})
