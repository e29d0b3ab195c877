import type { Hono } from 'hono'
import type { AppEnv } from '#shared/http/app-env.ts'
import { createApp } from '#shared/http/platform.ts'
import type { RouteSpec } from '#shared/http/route-spec.ts'
import { rateLimit } from '#shared/ratelimit/middleware.ts'
import type { AuthDeps } from './deps.ts'
import { clientAddress } from './lib/client-address.ts'
import { clientTokenSpec, registerClientToken } from './routes/client-token.ts'
import { guestSignInSpec, registerGuestSignIn } from './routes/guest-sign-in.ts'
import { jwksSpec, registerJwks } from './routes/jwks.ts'
import { refreshSpec, registerRefresh } from './routes/refresh.ts'

/**
 * The auth function: its route table. Opens no sockets and reads no environment. No
 * route here takes an access token: these are the routes that hand them out.
 */
export function createAuthApp(deps: AuthDeps): Hono<AppEnv> {
  const app = createApp({ log: deps.log, ...(deps.metrics ? { metrics: deps.metrics } : {}) })
  // Guest sign-in is the one unauthenticated route that writes: limited per client
  // address, with the policy read per request so a config change applies at once.
  app.post(
    '/v1/auth/guest',
    rateLimit({
      limiter: deps.limiter,
      policy: () => {
        const { limit, window_seconds } = deps.config.get('ratelimits').guest_signin
        return { name: 'guest-signin', limit, windowSeconds: window_seconds }
      },
      subject: (c) => `addr:${clientAddress(c, deps.trustProxy)}`,
    }),
  )

  registerGuestSignIn(app, deps)
  registerRefresh(app, deps)
  registerClientToken(app, deps)
  registerJwks(app, deps)
  return app
}

/** Every route of this function, for the OpenAPI document (JWKS included). */
export const AUTH_ROUTES: RouteSpec[] = [guestSignInSpec, refreshSpec, clientTokenSpec, jwksSpec]
