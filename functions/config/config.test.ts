import type { Hono } from 'hono'
import * as v from 'valibot'
import { beforeAll, describe, expect, it } from 'vitest'
import type { MessageBus } from '#shared/bus/bus.ts'
import { createInProcessBus } from '#shared/bus/in-process-bus.ts'
import { parseHint } from '#shared/config/reload.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { createLogger } from '#shared/log.ts'
import { useTestKit } from '#test/harness/app.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { createUser } from '#test/harness/fixtures.ts'
import { config } from './function.ts'
import { HistorySchema, ServiceConfigSchema } from './lib/config.ts'

/** The config function against API.md "config", on a fresh database per file. */

const kit = useTestKit()
const db = useTestDatabase()
const log = createLogger('test', { level: 'silent' })
let app: Hono<AppEnv>
let bus: MessageBus
const hints: string[] = []
let reader: string
let writer: string

beforeAll(async () => {
  bus = createInProcessBus({ log })
  bus.subscribe(['config:projects', 'config:chat', 'config:features'], {
    message: (_channel, message) => hints.push(message),
  })
  app = await kit.app(config, { db: db.app, with: { bus } })
  reader = await kit.auth.clientBearer('reader', ['config:read'])
  writer = await kit.auth.clientBearer('ops', ['config:read', 'config:write'])
})

const call = (method: string, path: string, options: Parameters<typeof kit.call>[3] = {}) =>
  kit.call(app, method, path, options)

async function current(service: string) {
  const res = await call('GET', `/v1/configs/${service}`, { authorization: reader })
  return res.body as { version: number; data: Record<string, unknown> }
}

function put(service: string, data: unknown, ifMatch?: string, authorization = writer) {
  return call('PUT', `/v1/configs/${service}`, {
    authorization,
    body: { data },
    headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
  })
}

describe('reading configs', () => {
  it('lists every service with its version', async () => {
    const res = await call('GET', '/v1/configs', { authorization: reader })
    expect(res.status, res.text).toBe(200)
    expect(res.body.items.map((i: { service: string }) => i.service)).toEqual([
      'auth',
      'chat',
      'features',
      'projects',
      'ratelimits',
    ])
    expect(Object.keys(res.body)).toEqual(['items'])
    for (const item of res.body.items)
      expect(Object.keys(item).sort()).toEqual(['service', 'updated_at', 'version'])
  })

  it('reads one with its ETag, and answers 404 CONFIG_NOT_FOUND for any other name', async () => {
    const res = await call('GET', '/v1/configs/projects', { authorization: reader })
    expect(res.status).toBe(200)
    expect(v.safeParse(ServiceConfigSchema, res.body).success).toBe(true)
    expect(res.body).toMatchObject({ service: 'projects', data: { max_projects_per_org: 100 } })
    expect(res.headers.get('etag')).toBe(`"${res.body.version}"`)
    for (const name of ['nope', 'constructor', '__proto__', 'PROJECTS']) {
      const missing = await call('GET', `/v1/configs/${name}`, { authorization: reader })
      expect([missing.status, missing.body.code], name).toEqual([404, 'CONFIG_NOT_FOUND'])
    }
  })

  it('takes machine tokens only: a guest is 403, no token 401', async () => {
    const guest = await createUser(db.admin)
    const asGuest = await call('GET', '/v1/configs', { as: guest })
    expect([asGuest.status, asGuest.body.code]).toEqual([403, 'FORBIDDEN'])
    const none = await call('GET', '/v1/configs')
    expect([none.status, none.body.code]).toEqual([401, 'UNAUTHENTICATED'])
    const putByGuest = await call('PUT', '/v1/configs/projects', {
      as: guest,
      body: { data: { max_projects_per_org: 1 } },
      headers: { 'if-match': '"1"' },
    })
    expect(putByGuest.status).toBe(403)
  })
})

describe('writing a config', () => {
  it('bumps the version in one transaction with history and audit, then hints the replicas', async () => {
    const before = await current('projects')
    hints.length = 0
    const res = await put('projects', { max_projects_per_org: 42 }, `"${before.version}"`)
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({
      service: 'projects',
      version: before.version + 1,
      data: { max_projects_per_org: 42 },
      updated_by: 'ops',
    })
    expect(res.headers.get('etag')).toBe(`"${before.version + 1}"`)
    const [history] = await db.admin`
      select data, updated_by from config_history where service = 'projects' and version = ${before.version + 1}`
    expect(history).toEqual({ data: { max_projects_per_org: 42 }, updated_by: 'ops' })
    const [audit] = await db.admin`
      select actor, action, target, details from audit_log
       where action = 'config.update' and target = 'projects' order by id desc limit 1`
    expect(audit).toEqual({
      actor: 'client:ops',
      action: 'config.update',
      target: 'projects',
      details: { from_version: before.version, to_version: before.version + 1 },
    })
    await new Promise((resolve) => setImmediate(resolve))
    const hint = parseHint(hints.at(-1) ?? '')
    expect(hint).toMatchObject({ service: 'projects', version: before.version + 1 })
    expect(Math.abs((hint?.committed_at ?? 0) - Date.now())).toBeLessThan(5_000)
  })

  it('needs If-Match (428), refuses a stale one (412) and changes nothing', async () => {
    const before = await current('projects')
    const missing = await put('projects', { max_projects_per_org: 7 })
    expect([missing.status, missing.body.code]).toEqual([428, 'PRECONDITION_REQUIRED'])
    const stale = await put('projects', { max_projects_per_org: 7 }, `"${before.version - 1}"`)
    expect([stale.status, stale.body.code]).toEqual([412, 'CONFIG_VERSION_CONFLICT'])
    expect(stale.headers.get('etag')).toBe(`"${before.version}"`)
    const weak = await put('projects', { max_projects_per_org: 7 }, `W/"${before.version}"`)
    expect(weak.status).toBe(412)
    const malformed = await put('projects', { max_projects_per_org: 7 }, `${before.version}`)
    expect([malformed.status, malformed.body.errors?.[0]?.location]).toEqual([
      400,
      'header.if-match',
    ])
    expect(await current('projects')).toEqual(before)
  })

  it('accepts * and a list of entity tags in If-Match', async () => {
    const before = await current('projects')
    expect((await put('projects', before.data, '*')).status).toBe(200)
    const after = await current('projects')
    expect((await put('projects', before.data, `"1", "${after.version}"`)).status).toBe(200)
  })

  it('lets exactly one of two writers with the same If-Match win', async () => {
    const before = await current('projects')
    const results = await Promise.all(
      [11, 12].map((n) => put('projects', { max_projects_per_org: n }, `"${before.version}"`)),
    )
    expect(results.map((r) => r.status).sort()).toEqual([200, 412])
    expect((await current('projects')).version).toBe(before.version + 1)
  })

  it('refuses data failing the schema with 400 CONFIG_INVALID: locations, never values', async () => {
    const before = await current('projects')
    const res = await put(
      'projects',
      { max_projects_per_org: 'SECRET-VALUE' },
      `"${before.version}"`,
    )
    expect([res.status, res.body.code]).toEqual([400, 'CONFIG_INVALID'])
    expect(res.body.errors).toEqual([
      { location: 'body.data.max_projects_per_org', message: 'must be a number' },
    ])
    expect(res.text).not.toContain('SECRET-VALUE')
    const notObject = await put('projects', 'SECRET-VALUE', `"${before.version}"`)
    expect([notObject.status, notObject.body.code]).toEqual([400, 'CONFIG_INVALID'])
    const noData = await call('PUT', '/v1/configs/projects', {
      authorization: writer,
      body: {},
      headers: { 'if-match': `"${before.version}"` },
    })
    expect([noData.status, noData.body.errors?.[0]?.location]).toEqual([400, 'body.data'])
    expect(await current('projects')).toEqual(before)
  })

  it('refuses a chat catalog entry that no handler implements', async () => {
    const chat = await current('chat')
    const actions = chat.data.actions as { id: string }[]
    const res = await put(
      'chat',
      {
        ...chat.data,
        actions: [...actions, { id: 'dance', label: 'Dance', description: 'Dances.' }],
      },
      `"${chat.version}"`,
    )
    expect([res.status, res.body.code]).toEqual([400, 'CONFIG_INVALID'])
    expect(res.body.errors[0].location).toBe(`body.data.actions.${actions.length}.id`)
  })

  it('needs config:write to write: a reader is 403', async () => {
    const before = await current('projects')
    const res = await put('projects', before.data, `"${before.version}"`, reader)
    expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN'])
  })

  it('answers 404 for a service that does not exist, before anything else', async () => {
    const res = await put('nope', {}, '"1"')
    expect([res.status, res.body.code]).toEqual([404, 'CONFIG_NOT_FOUND'])
  })

  it('keeps keys a newer release added (the schema drops them when reading)', async () => {
    const before = await current('features')
    const res = await put(
      'features',
      { flags: { beta: true }, later: { x: 1 } },
      `"${before.version}"`,
    )
    expect(res.status, res.text).toBe(200)
    expect(res.body.data).toEqual({ flags: { beta: true }, later: { x: 1 } })
  })
})

describe('history', () => {
  it('lists every version newest first, paginated without gaps', async () => {
    const start = await current('features')
    let version = start.version
    for (let i = 0; i < 5; i++) {
      const res = await put('features', { flags: { [`f${i}`]: true } }, `"${version}"`)
      version = res.body.version
    }
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2'
      const page = await call('GET', `/v1/configs/features/history${query}`, {
        authorization: reader,
      })
      expect(page.status, page.text).toBe(200)
      expect(v.safeParse(HistorySchema, page.body).success).toBe(true)
      seen.push(...page.body.items.map((i: { version: number }) => i.version))
      cursor = page.body.next_cursor
    } while (cursor)
    expect(seen).toEqual(Array.from({ length: version }, (_, i) => version - i))
    const unknown = await call('GET', '/v1/configs/nope/history', { authorization: reader })
    expect([unknown.status, unknown.body.code]).toEqual([404, 'CONFIG_NOT_FOUND'])
  })
})
