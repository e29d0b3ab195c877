import type { Context, MiddlewareHandler } from 'hono'
import type { AccessTokenVerifier, UserPrincipal } from '#shared/auth/verifier.ts'
import type { AppEnv } from './app-env.ts'
import { ApiError } from './errors.ts'

/**
 * Verifies the bearer token and sets `principal`. A missing, invalid or expired token is
 * 401 UNAUTHENTICATED with `WWW-Authenticate: Bearer` (RFC 6750: with
 * `error="invalid_token"` when a token was sent). Tenant and user come only from here,
 * never from headers or bodies.
 */
export function authenticate(verifier: AccessTokenVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization')
    try {
      c.set('principal', await verifier.verifyAuthorization(header))
    } catch (error) {
      if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') {
        throw new ApiError('UNAUTHENTICATED', {
          detail: error.detail,
          headers: {
            'WWW-Authenticate': header === undefined ? 'Bearer' : 'Bearer error="invalid_token"',
          },
        })
      }
      throw error
    }
    await next()
  }
}

/** The calling user; a machine token on a user route is 403 FORBIDDEN. */
export function currentUser(c: Context<AppEnv>): UserPrincipal {
  const principal = c.get('principal')
  if (principal?.kind !== 'user') {
    throw new ApiError('FORBIDDEN', { detail: 'This route needs a user token.' })
  }
  return principal
}
