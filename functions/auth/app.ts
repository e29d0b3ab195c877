import type { Hono } from 'hono'
import type { AppEnv } from '#shared/http/app-env.ts'
import { functionApp } from '#shared/http/mount.ts'
import type { AuthDeps } from './deps.ts'
import { clientToken } from './routes/client-token.ts'
import { guestSignIn } from './routes/guest-sign-in.ts'
import { jwks } from './routes/jwks.ts'
import { refresh } from './routes/refresh.ts'

/**
 * The auth function's route table. No route here takes an access token: these are the
 * routes that hand them out.
 */
export const AUTH_ROUTES = [guestSignIn, refresh, clientToken, jwks]

/** The auth function's app. Opens no sockets and reads no environment. */
export function createAuthApp(deps: AuthDeps): Hono<AppEnv> {
  return functionApp(AUTH_ROUTES, deps)
}
