import type { Redis } from 'ioredis'
import type { Logger } from '#shared/log.ts'
import {
  type Decision,
  decide,
  InProcessRateLimiter,
  type Policy,
  type RateLimiter,
} from './limiter.ts'

// INCR and the window's expiry in one atomic step: concurrent hits from every replica
// are counted exactly, and a window cannot be left without an expiry.
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
`

type RedisWithHit = Redis & {
  tenantryRateHit(key: string, windowMs: number): Promise<[number, number]>
}

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: RedisWithHit
  readonly #prefix: string

  /** The client should fail fast (commandTimeout, no offline queue): see FallbackRateLimiter. */
  constructor(redis: Redis, prefix = 'ratelimit') {
    if (!('tenantryRateHit' in redis)) {
      redis.defineCommand('tenantryRateHit', { numberOfKeys: 1, lua: HIT })
    }
    this.#redis = redis as RedisWithHit
    this.#prefix = prefix
  }

  async hit(policy: Policy, subject: string): Promise<Decision> {
    const windowMs = policy.windowSeconds * 1000
    const key = `${this.#prefix}:${policy.name}:${subject}`
    const [count, ttl] = await this.#redis.tenantryRateHit(key, windowMs)
    return decide(policy, count, ttl)
  }
}

/**
 * Redis while it answers; while it does not, the in-process limiter, so each replica
 * still enforces the limit on its own traffic (a degraded but bounded limit) instead of
 * letting everything through or refusing everyone. Logs the switch once each way.
 */
export class FallbackRateLimiter implements RateLimiter {
  readonly #primary: RateLimiter
  readonly #fallback: RateLimiter
  readonly #log: Logger
  #degraded = false

  constructor(
    primary: RateLimiter,
    log: Logger,
    fallback: RateLimiter = new InProcessRateLimiter(),
  ) {
    this.#primary = primary
    this.#fallback = fallback
    this.#log = log
  }

  get degraded(): boolean {
    return this.#degraded
  }

  async hit(policy: Policy, subject: string): Promise<Decision> {
    try {
      const decision = await this.#primary.hit(policy, subject)
      if (this.#degraded) {
        this.#degraded = false
        this.#log.info('rate limits back on Redis')
      }
      return decision
    } catch (error) {
      if (!this.#degraded) {
        this.#degraded = true
        this.#log.warn({ err: error }, 'Redis unavailable: rate limits fall back to this replica')
      }
      return this.#fallback.hit(policy, subject)
    }
  }
}
