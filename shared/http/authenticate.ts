import type { Context, MiddlewareHandler } from 'hono'
import { TokenError } from '#shared/auth/errors.ts'
import type {
  AccessTokenVerifier,
  ClientPrincipal,
  Principal,
  UserPrincipal,
} from '#shared/auth/verifier.ts'
import type { AppEnv } from './app-env.ts'
import { ApiError } from './errors.ts'

/**
 * Verifies the bearer token and sets `principal`. A missing, invalid or expired token is
 * 401 UNAUTHENTICATED with `WWW-Authenticate: Bearer` (RFC 6750: with
 * `error="invalid_token"` when a token was sent); a key set that cannot be loaded is 503
 * UNAVAILABLE with Retry-After. Tenant and user come only from here, never from headers
 * or bodies.
 */
export function authenticate(verifier: AccessTokenVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization')
    try {
      c.set('principal', await verifier.verifyAuthorization(header))
    } catch (error) {
      throw tokenProblem(error, header)
    }
    await next()
  }
}

/** The verifier's errors in the catalog's terms. */
function tokenProblem(error: unknown, header: string | undefined): unknown {
  if (!(error instanceof TokenError)) return error
  if (error.code === 'KEYS_UNAVAILABLE') {
    return new ApiError('UNAVAILABLE', {
      detail: error.message,
      headers: { 'Retry-After': String(error.retryAfterSeconds ?? 1) },
    })
  }
  return new ApiError('UNAUTHENTICATED', {
    detail: error.message,
    headers: {
      'WWW-Authenticate': header === undefined ? 'Bearer' : 'Bearer error="invalid_token"',
    },
  })
}

/** 403 unless a machine token carrying `scope` (guest tokens never carry scopes). */
export function requireScope(
  principal: Principal,
  scope: string,
): asserts principal is ClientPrincipal {
  if (principal.kind !== 'client') {
    throw new ApiError('FORBIDDEN', { detail: 'This route needs a machine token' })
  }
  if (!principal.scopes.includes(scope)) {
    throw new ApiError('FORBIDDEN', { detail: `This route needs the scope ${scope}` })
  }
}

/** 403 for machine tokens on routes that act as a user. */
export function requireUser(principal: Principal): asserts principal is UserPrincipal {
  if (principal.kind !== 'user') {
    throw new ApiError('FORBIDDEN', { detail: 'This route needs a user token.' })
  }
}

/** The calling user; a machine token on a user route is 403 FORBIDDEN. */
export function currentUser(c: Context<AppEnv>): UserPrincipal {
  const principal = c.get('principal')
  if (principal === undefined) throw new ApiError('UNAUTHENTICATED')
  requireUser(principal)
  return principal
}

/** The calling machine client; anything else is 403 FORBIDDEN. */
export function currentClient(c: Context<AppEnv>, scope: string): ClientPrincipal {
  const principal = c.get('principal')
  if (principal === undefined) throw new ApiError('UNAUTHENTICATED')
  requireScope(principal, scope)
  return principal
}
