import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auth } from '#functions/auth/function.ts'
import { config } from '#functions/config/function.ts'
import { projects } from '#functions/projects/function.ts'
import type { MessageBus } from '#shared/bus/bus.ts'
import { createInProcessBus } from '#shared/bus/in-process-bus.ts'
import { createLogger } from '#shared/log.ts'
import { type Built, useTestKit } from './harness/app.ts'
import { useTestDatabase } from './harness/database.ts'
import { createChat, createOrg, createProject, createUser } from './harness/fixtures.ts'

/**
 * What config drives, changed live: each case writes a config through the config
 * function and sees another function, built as its own replica with its own cache on the
 * same bus, behave by the new version without a restart — rate limits (and the
 * RateLimit-Policy header), the project quota, token lifetimes, feature flags, and the
 * chat catalog and limits. The reconcile period is an hour: only the hints can do it.
 */

const kit = useTestKit()
const db = useTestDatabase()
const log = createLogger('test', { level: 'silent' })
let bus: MessageBus
let configFn: Built<unknown>
let authFn: Built<unknown>
let projectsFn: Built<unknown>
let writer: string

beforeAll(async () => {
  bus = createInProcessBus({ log })
  const replica = { db: db.app, bus, reconcileMs: 3_600_000 }
  configFn = await kit.build(config, { db: db.app, bus })
  authFn = await kit.build(auth, replica)
  projectsFn = await kit.build(projects, replica)
  writer = await kit.auth.clientBearer('ops', ['config:read', 'config:write'])
})

afterAll(async () => {
  await Promise.all([authFn.reload?.stop(), projectsFn.reload?.stop()])
  await bus.close()
})

/** Writes a service's config through the config function; resolves to the new version. */
async function write(service: string, change: (data: Record<string, unknown>) => unknown) {
  const current = await kit.call(configFn.app, 'GET', `/v1/configs/${service}`, {
    authorization: writer,
  })
  const res = await kit.call(configFn.app, 'PUT', `/v1/configs/${service}`, {
    authorization: writer,
    body: { data: change(structuredClone(current.body.data)) },
    headers: { 'if-match': current.headers.get('etag') ?? '' },
  })
  expect(res.status, res.text).toBe(200)
  return res.body.version as number
}

/** Until the replica holds the version: the hint's way, within a second. */
async function applied(replica: Built<unknown>, service: string, version: number) {
  for (const started = Date.now(); Date.now() - started < 1_000; ) {
    if ((replica.config.versions() as Record<string, number>)[service] === version) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`${service} ${version} not applied within 1 s`)
}

describe('a config change reaches the functions it drives, live', () => {
  it('the authenticated rate limit, and the RateLimit-Policy header says so', async () => {
    const user = await createUser(db.admin)
    const before = await kit.call(projectsFn.app, 'GET', `/v1/projects/${crypto.randomUUID()}`, {
      as: user,
    })
    expect(before.headers.get('ratelimit-policy')).toBe('"authenticated";q=600;w=60')
    const version = await write('ratelimits', (data) => ({
      ...data,
      authenticated: { limit: 2, window_seconds: 60 },
    }))
    await applied(projectsFn, 'ratelimits', version)
    // One user over the new limit is refused, and every answer names the new policy.
    const one = await createUser(db.admin)
    const answers = []
    for (let i = 0; i < 3; i++) {
      const res = await kit.call(projectsFn.app, 'GET', `/v1/projects/${crypto.randomUUID()}`, {
        as: one,
      })
      expect(res.headers.get('ratelimit-policy')).toBe('"authenticated";q=2;w=60')
      answers.push(res.status)
    }
    expect(answers).toEqual([404, 404, 429])
    await write('ratelimits', (data) => ({
      ...data,
      authenticated: { limit: 600, window_seconds: 60 },
    }))
  })

  it('the guest sign-in limit per address', async () => {
    const version = await write('ratelimits', (data) => ({
      ...data,
      guest_signin: { limit: 1, window_seconds: 60 },
    }))
    await applied(authFn, 'ratelimits', version)
    const address = '198.51.100.77'
    const first = await kit.call(authFn.app, 'POST', '/v1/auth/guest', { address })
    const second = await kit.call(authFn.app, 'POST', '/v1/auth/guest', { address })
    expect([first.status, second.status]).toEqual([201, 429])
    expect(second.headers.get('ratelimit-policy')).toBe('"guest-signin";q=1;w=60')
    await write('ratelimits', (data) => ({
      ...data,
      guest_signin: { limit: 30, window_seconds: 60 },
    }))
  })

  it('the project quota of an org', async () => {
    const owner = await createUser(db.admin)
    const org = await createOrg(db.admin, owner)
    await createProject(db.admin, org)
    const version = await write('projects', () => ({ max_projects_per_org: 1 }))
    await applied(projectsFn, 'projects', version)
    const res = await kit.call(projectsFn.app, 'POST', `/v1/orgs/${org.id}/projects`, {
      as: owner,
      body: { name: 'One too many' },
    })
    expect([res.status, res.body.code]).toEqual([409, 'PROJECT_LIMIT_REACHED'])
    await write('projects', () => ({ max_projects_per_org: 100 }))
  })

  it('access and refresh token lifetimes', async () => {
    const version = await write('auth', () => ({
      access_token_ttl_seconds: 120,
      refresh_token_ttl_seconds: 7_200,
    }))
    await applied(authFn, 'auth', version)
    const res = await kit.call(authFn.app, 'POST', '/v1/auth/guest', { address: '198.51.100.78' })
    expect(res.status, res.text).toBe(201)
    expect(res.body.expires_in).toBe(120)
    const [token] = await db.admin<{ seconds: number }[]>`
      select extract(epoch from expires_at - created_at)::int as seconds
        from refresh_tokens where user_id = ${res.body.user.id}`
    expect(token?.seconds).toBe(7_200)
  })

  it('feature flags: guest sign-in turned off and on again', async () => {
    let version = await write('features', () => ({ flags: { guest_signin: false } }))
    await applied(authFn, 'features', version)
    const off = await kit.call(authFn.app, 'POST', '/v1/auth/guest', { address: '198.51.100.79' })
    expect([off.status, off.body.code]).toEqual([403, 'FORBIDDEN'])
    version = await write('features', () => ({ flags: {} }))
    await applied(authFn, 'features', version)
    const on = await kit.call(authFn.app, 'POST', '/v1/auth/guest', { address: '198.51.100.79' })
    expect(on.status).toBe(201)
  })

  it('the chat catalog and limits', async () => {
    // No chat function yet: its replica's cache, and the database's own limit.
    const chatReplica = await kit.build(
      { ...projects, services: ['chat'] as never },
      { db: db.app, bus, reconcileMs: 3_600_000 },
    )
    try {
      const version = await write('chat', (data) => ({
        ...data,
        actions: (data.actions as { id: string }[]).filter((action) => action.id !== 'time'),
        max_active_chats_per_user_per_project: 1,
      }))
      await applied(chatReplica, 'chat', version)
      const catalog = (chatReplica.config.get('chat' as never) as { actions: { id: string }[] })
        .actions
      expect(catalog.map((action) => action.id)).not.toContain('time')
      const user = await createUser(db.admin)
      const org = await createOrg(db.admin, user)
      const project = await createProject(db.admin, org)
      await createChat(db.admin, user, project)
      await expect(createChat(db.admin, user, project)).rejects.toMatchObject({
        constraint_name: 'chat_sessions_active_limit',
      })
    } finally {
      await chatReplica.reload?.stop()
    }
  })
})
