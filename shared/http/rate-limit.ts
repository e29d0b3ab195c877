import type { Context, MiddlewareHandler } from 'hono'
import type { Policy, RateLimiter } from '#shared/ratelimit/limiter.ts'
import type { AppEnv } from './app-env.ts'
import { ApiError } from './errors.ts'

export interface RateLimitOptions {
  limiter: RateLimiter
  /** The policy for this request (read from the `ratelimits` config per request, so it hot-reloads). */
  policy: (c: Context<AppEnv>) => Policy
  /** Whom the limit counts: the client address for guest sign-in, the user otherwise. */
  subject: (c: Context<AppEnv>) => string
}

/**
 * Counts the request, sets the IETF RateLimit-Policy / RateLimit headers on the
 * response, and answers 429 RATE_LIMITED with Retry-After when over the limit.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const policy = options.policy(c)
    const decision = await options.limiter.hit(policy, options.subject(c))
    const headers = {
      'RateLimit-Policy': `"${policy.name}";q=${policy.limit};w=${policy.windowSeconds}`,
      RateLimit: `"${policy.name}";r=${decision.remaining};t=${decision.resetSeconds}`,
    }
    if (!decision.allowed) {
      throw new ApiError('RATE_LIMITED', {
        detail: `At most ${policy.limit} requests per ${policy.windowSeconds} s.`,
        headers: { ...headers, 'Retry-After': String(decision.resetSeconds) },
      })
    }
    await next()
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value)
  }
}
