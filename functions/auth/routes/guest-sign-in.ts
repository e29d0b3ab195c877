import { randomInt, randomUUID } from 'node:crypto'
import type { Hono } from 'hono'
import { withUser } from '#shared/db/tenant.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import type { RouteSpec } from '#shared/http/route-spec.ts'
import type { AuthDeps } from '../deps.ts'
import { storeRefreshToken } from '../lib/refresh-tokens.ts'
import { UserTokenResponseSchema, userTokenResponse } from '../lib/token-response.ts'

/** `guest-` and 10 random digits: 10^10 handles, so a collision is rare and retried. */
export function randomHandle(): string {
  return `guest-${String(randomInt(0, 10_000_000_000)).padStart(10, '0')}`
}

const ATTEMPTS = 5

export const guestSignInSpec: RouteSpec = {
  method: 'post',
  path: '/v1/auth/guest',
  summary: 'Sign in as a new guest (no body; rate-limited per client address)',
  tag: 'auth',
  auth: 'none',
  response: {
    status: 201,
    description: 'The guest and its token pair',
    schema: UserTokenResponseSchema,
  },
  errors: ['RATE_LIMITED', 'PAYLOAD_TOO_LARGE'],
}

/**
 * POST /v1/auth/guest — no body (one sent is ignored: nothing a client says ends up in
 * the user, so there is nothing to mass-assign). Creates a guest with a random handle and
 * no personal data, and starts a refresh-token family. Rate-limited per client address in
 * app.ts.
 *
 * It runs as the new user (withUser with a fresh id: users_insert and refresh_tokens_own
 * allow exactly that), not asSystem: creating a guest needs no cross-tenant access.
 *
 * Idempotency-Key is not honoured here: keys are scoped to the caller and a guest
 * sign-in has none. Scoping by client address would replay one guest's tokens to
 * everyone behind the same NAT; so every call creates a new guest.
 */
export function registerGuestSignIn(app: Hono<AppEnv>, deps: AuthDeps): void {
  const newHandle = deps.newHandle ?? randomHandle
  app.post('/v1/auth/guest', async (c) => {
    const userId = randomUUID()
    const ttl = deps.config.get('auth').refresh_token_ttl_seconds
    const { handle, refreshToken } = await withUser(deps.db, userId, async (tx) => {
      for (let attempt = 1; ; attempt++) {
        // ON CONFLICT instead of catching 23505: a failed statement would abort the
        // transaction, this way a taken handle just returns no row and we draw again.
        const [user] = await tx<{ handle: string }[]>`
          insert into users (id, handle) values (${userId}, ${newHandle()})
          on conflict (handle) do nothing
          returning handle`
        if (user) {
          const token = await storeRefreshToken(tx, userId, randomUUID(), ttl)
          return { handle: user.handle, refreshToken: token }
        }
        if (attempt >= ATTEMPTS) throw new Error(`no free guest handle in ${ATTEMPTS} attempts`)
      }
    })
    return userTokenResponse(c, deps, { id: userId, handle }, refreshToken, 201)
  })
}
