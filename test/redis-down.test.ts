import { once } from 'node:events'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { FUNCTIONS } from '#platform/functions.ts'
import { ConfigCache } from '#shared/config/cache.ts'
import { CONFIG_SERVICES } from '#shared/config/schemas.ts'
import { createLogger } from '#shared/log.ts'
import { FallbackRateLimiter, RedisRateLimiter } from '#shared/ratelimit/redis-limiter.ts'
import { connectRedis } from '#shared/runtime/process.ts'
import { createTestKit, type TestKit } from './harness/app.ts'
import { createTestAuth, type TestAuth } from './harness/auth.ts'
import { useTestDatabase } from './harness/database.ts'
import { createUser, type UserRow } from './harness/fixtures.ts'
import { freePort } from './harness/local-servers.ts'

/**
 * What every route does while Redis cannot be reached (README, "When something fails"):
 * it answers exactly as with Redis up, its rate limit counted by this replica alone
 * (FallbackRateLimiter), with the RateLimit headers; never a 5xx, never unlimited. The
 * same matrix runs against the real Redis as the control.
 */

const db = useTestDatabase()
const log = createLogger('redis-down', { level: 'silent' })
let auth: TestAuth
let kit: TestKit
let user: UserRow
let config: ConfigCache
const clients: Redis[] = []

/** The functions' own client (process.ts): fail fast, no offline queue. */
async function redisClient(url: string): Promise<Redis> {
  const redis = await connectRedis(url)
  clients.push(redis)
  return redis
}

beforeAll(async () => {
  auth = await createTestAuth()
  kit = createTestKit(auth)
  config = new ConfigCache(db.app, CONFIG_SERVICES, log)
  await config.load()
  user = await createUser(db.admin)
})

afterAll(() => {
  for (const redis of clients) redis.disconnect()
})

async function apps(redis: Redis) {
  // Keys of this run only: the real Redis keeps windows across test runs.
  const prefix = `ratelimit-test-${crypto.randomUUID()}`
  const limiter = new FallbackRateLimiter(new RedisRateLimiter(redis, prefix), log)
  const routes = []
  for (const fn of FUNCTIONS) {
    const app = await kit.app(fn, { db: db.app, with: { limiter } })
    routes.push(...fn.routes.map((spec) => ({ app, spec })))
  }
  return { limiter, routes }
}

type Route = Awaited<ReturnType<typeof apps>>['routes'][number]

/** Each route with a valid user token where it takes one, random ids, a minimal body. */
async function callEach(routes: Route[]) {
  const answers = []
  for (const { app, spec } of routes) {
    const path = spec.path.replace(/:[A-Za-z]+/g, crypto.randomUUID())
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (spec.auth === 'user') headers.authorization = await auth.bearer(user)
    const res = await app.request(
      path,
      {
        method: spec.method.toUpperCase(),
        headers,
        ...(spec.method === 'get' || spec.method === 'delete' ? {} : { body: '{}' }),
      },
      { incoming: { socket: { remoteAddress: '192.0.2.44' } } },
    )
    answers.push({ route: `${spec.method.toUpperCase()} ${spec.path}`, spec, res })
  }
  return answers
}

/** The routes behind a rate limit: every user route and guest sign-in. */
const limited = (spec: Route['spec']) =>
  spec.auth === 'user' || (spec.method === 'post' && spec.path === '/v1/auth/guest')

/** Redis that never answers (a free port: nothing listens), and the real one once connected. */
const down = async () => redisClient(`redis://127.0.0.1:${await freePort()}`)
async function up(): Promise<Redis> {
  const redis = await redisClient(inject('redisUrl'))
  await once(redis, 'ready')
  return redis
}

describe.each([
  ['down (nothing listens on its port)', down],
  ['up (the control)', up],
] as const)('with Redis %s', (state, connect) => {
  it('answers every route as usual, rate limit headers included, and no 5xx', async () => {
    const { limiter, routes } = await apps(await connect())
    expect(routes.length).toBeGreaterThan(15)
    for (const { route, spec, res } of await callEach(routes)) {
      expect(res.status, route).toBeLessThan(500)
      if (limited(spec)) {
        expect(res.headers.get('ratelimit-policy'), route).toMatch(/^"[a-z-]+";q=\d+;w=\d+$/)
        expect(res.headers.get('ratelimit'), route).toMatch(/^"[a-z-]+";r=\d+;t=\d+$/)
      }
    }
    expect(limiter.degraded).toBe(state.startsWith('down'))
  })

  it('still refuses the request over the limit, with 429 and Retry-After', async () => {
    const { routes } = await apps(await connect())
    const guest = routes.find((r) => r.spec.path === '/v1/auth/guest') as Route
    const { limit } = config.get('ratelimits').guest_signin
    const address = '192.0.2.45'
    const statuses: number[] = []
    for (let i = 0; i <= limit; i++) {
      const res = await guest.app.request(
        '/v1/auth/guest',
        { method: 'POST' },
        { incoming: { socket: { remoteAddress: address } } },
      )
      statuses.push(res.status)
      if (i === limit) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    }
    expect(statuses.slice(0, limit).every((status) => status === 201)).toBe(true)
    expect(statuses[limit]).toBe(429)
  })
})
