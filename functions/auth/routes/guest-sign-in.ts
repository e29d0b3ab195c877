import { randomInt, randomUUID } from 'node:crypto'
import { featureEnabled } from '#shared/config/features.ts'
import { withUser } from '#shared/db/tenant.ts'
import { ApiError } from '#shared/http/errors.ts'
import { rateLimit } from '#shared/http/rate-limit.ts'
import { route } from '../deps.ts'
import { clientAddress } from '../lib/client-address.ts'
import { storeRefreshToken } from '../lib/refresh-tokens.ts'
import { UserTokenResponseSchema, userTokenResponse } from '../lib/token-response.ts'

/** `guest-` and 10 random digits: 10^10 handles, so a collision is rare and retried. */
export function randomHandle(): string {
  return `guest-${String(randomInt(0, 10_000_000_000)).padStart(10, '0')}`
}

const ATTEMPTS = 5

/**
 * POST /v1/auth/guest — no body (one sent is ignored: nothing a client says ends up in
 * the user, so there is nothing to mass-assign). Creates a guest with a random handle and
 * no personal data, and starts a refresh-token family. Rate-limited per client address
 * (`use`).
 *
 * It runs as the new user (withUser with a fresh id: users_insert and refresh_tokens_own
 * allow exactly that), not asSystem: creating a guest needs no cross-tenant access.
 *
 * Idempotency-Key is not honoured here: keys are scoped to the caller and a guest
 * sign-in has none. Scoping by client address would replay one guest's tokens to
 * everyone behind the same NAT; so every call creates a new guest.
 */
export const guestSignIn = route({
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
  errors: ['RATE_LIMITED', 'PAYLOAD_TOO_LARGE', 'FORBIDDEN'],
  // The one unauthenticated route that writes: limited per client address, with the
  // policy read per request so a config change applies at once.
  use: (deps) => [
    rateLimit({
      limiter: deps.limiter,
      policy: () => {
        const { limit, window_seconds } = deps.config.get('ratelimits').guest_signin
        return { name: 'guest-signin', limit, windowSeconds: window_seconds }
      },
      subject: (c) => `addr:${clientAddress(c, deps.trustProxy)}`,
    }),
  ],
  async handler(c, deps) {
    if (!featureEnabled(deps.config, 'guest_signin')) {
      throw new ApiError('FORBIDDEN', { detail: 'Guest sign-in is turned off for now.' })
    }
    const newHandle = deps.newHandle ?? randomHandle
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
  },
})
