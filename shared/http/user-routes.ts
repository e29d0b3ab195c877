import type { Hono } from 'hono'
import type { AccessTokenVerifier } from '#shared/auth/verifier.ts'
import type { ConfigReader } from '#shared/config/cache.ts'
import type { RateLimiter } from '#shared/ratelimit/limiter.ts'
import { rateLimit } from '#shared/ratelimit/middleware.ts'
import type { AppEnv } from './app-env.ts'
import { authenticate, currentUser } from './authenticate.ts'

/**
 * Every `/v1/*` route of a user-facing function: a verified token, then the per-user
 * limit of the `ratelimits` config (read per request, so a config change applies at once).
 */
export function protectUserRoutes(
  app: Hono<AppEnv>,
  deps: { verifier: AccessTokenVerifier; limiter: RateLimiter; config: ConfigReader<'ratelimits'> },
): void {
  app.use('/v1/*', authenticate(deps.verifier))
  app.use(
    '/v1/*',
    rateLimit({
      limiter: deps.limiter,
      policy: () => {
        const { limit, window_seconds } = deps.config.get('ratelimits').authenticated
        return { name: 'authenticated', limit, windowSeconds: window_seconds }
      },
      subject: (c) => `user:${currentUser(c).userId}`,
    }),
  )
}
