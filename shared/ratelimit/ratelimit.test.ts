import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createApp } from '#shared/http/platform.ts'
import { rateLimit } from '#shared/http/rate-limit.ts'
import { createLogger } from '#shared/log.ts'
import { InProcessRateLimiter, type Policy, type RateLimiter } from './limiter.ts'
import { FallbackRateLimiter, RedisRateLimiter } from './redis-limiter.ts'

const lines: string[] = []
const log = createLogger('test', { destination: { write: (line: string) => lines.push(line) } })
const redis = new Redis(inject('redisUrl'), { commandTimeout: 500, maxRetriesPerRequest: 1 })
// A prefix of its own per run: parallel test files and earlier runs never share counters.
const prefix = `test:${randomUUID()}`
afterAll(() => redis.disconnect())

const policy = (limit: number, windowSeconds = 60): Policy => ({ name: 'p', limit, windowSeconds })

describe.each([
  ['Redis', () => new RedisRateLimiter(redis, prefix)],
  ['in process', () => new InProcessRateLimiter()],
])('%s limiter', (_name, make: () => RateLimiter) => {
  it('allows up to the limit, then refuses, counting down remaining', async () => {
    const limiter = make()
    const subject = randomUUID()
    const decisions = []
    for (let i = 0; i < 4; i++) decisions.push(await limiter.hit(policy(3), subject))
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ])
    expect(decisions[3]?.resetSeconds).toBeGreaterThan(0)
    expect(decisions[3]?.resetSeconds).toBeLessThanOrEqual(60)
  })

  it('counts each subject and each policy on its own', async () => {
    const limiter = make()
    const [a, b] = [randomUUID(), randomUUID()]
    await limiter.hit(policy(1), a)
    expect((await limiter.hit(policy(1), b)).allowed).toBe(true)
    expect((await limiter.hit({ ...policy(1), name: 'other' }, a)).allowed).toBe(true)
    expect((await limiter.hit(policy(1), a)).allowed).toBe(false)
  })

  it('is exact under 50 concurrent hits: exactly the limit gets through', async () => {
    const limiter = make()
    const subject = randomUUID()
    const decisions = await Promise.all(
      Array.from({ length: 50 }, () => limiter.hit(policy(20), subject)),
    )
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20)
  })

  it('opens a new window when the old one ends', async () => {
    const limiter = make()
    const subject = randomUUID()
    await limiter.hit(policy(1, 1), subject)
    expect((await limiter.hit(policy(1, 1), subject)).allowed).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    expect((await limiter.hit(policy(1, 1), subject)).allowed).toBe(true)
  })
})

describe('with Redis down', () => {
  it('keeps limiting on this replica instead of failing open or closed', async () => {
    // Nothing listens on port 1: every command fails at once.
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    try {
      const limiter = new FallbackRateLimiter(new RedisRateLimiter(dead, prefix), log)
      const subject = randomUUID()
      const allowed = []
      for (let i = 0; i < 5; i++) allowed.push((await limiter.hit(policy(3), subject)).allowed)
      expect(allowed).toEqual([true, true, true, false, false])
      expect(limiter.degraded).toBe(true)
      expect(lines.join('')).toContain('Redis unavailable')
    } finally {
      dead.disconnect()
    }
  })
})

describe('rateLimit middleware', () => {
  function app(limit: number) {
    const app = createApp({ log })
    const subject = randomUUID()
    app.use(
      '/v1/*',
      rateLimit({
        limiter: new RedisRateLimiter(redis, prefix),
        policy: () => ({ name: 'authenticated', limit, windowSeconds: 60 }),
        subject: () => subject,
      }),
    )
    app.get('/v1/ping', (c) => c.json({ ok: true }))
    return app
  }

  it('sets the IETF headers on allowed responses', async () => {
    const res = await app(5).request('/v1/ping')
    expect(res.status).toBe(200)
    expect(res.headers.get('ratelimit-policy')).toBe('"authenticated";q=5;w=60')
    expect(res.headers.get('ratelimit')).toMatch(/^"authenticated";r=4;t=\d+$/)
  })

  it('answers 429 RATE_LIMITED with Retry-After and the headers when over', async () => {
    const limited = app(1)
    await limited.request('/v1/ping')
    const res = await limited.request('/v1/ping')
    expect(res.status).toBe(429)
    const body = (await res.json()) as { code: string }
    expect(body.code).toBe('RATE_LIMITED')
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(res.headers.get('ratelimit')).toMatch(/^"authenticated";r=0;t=\d+$/)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
  })
})
