import * as v from 'valibot'
import { ApiError } from '#shared/http/errors.ts'
import { route } from '../deps.ts'
import { rotate } from '../lib/refresh-tokens.ts'
import { UserTokenResponseSchema, userTokenResponse } from '../lib/token-response.ts'

const Body = v.object({
  refresh_token: v.pipe(
    v.string('must be a string'),
    v.minLength(1, 'must not be empty'),
    v.maxLength(512, 'must be at most 512 characters'),
  ),
})

/**
 * POST /v1/auth/refresh — `{ refresh_token }` → a new pair (200, same shape as guest
 * sign-in). Unknown, expired, revoked or rotated → 401 REFRESH_TOKEN_INVALID, one answer
 * for all, so the response tells an attacker nothing; a rotated one also revokes its
 * family (lib/refresh-tokens.ts). Not idempotent by design: replaying a refresh is
 * exactly the reuse this route must detect.
 */
export const refresh = route({
  method: 'post',
  path: '/v1/auth/refresh',
  summary: 'Trade a refresh token for a new pair (the old one stops working)',
  tag: 'auth',
  auth: 'none',
  body: Body,
  example: { refresh_token: 'rt_example' },
  response: { status: 200, description: 'A new token pair', schema: UserTokenResponseSchema },
  errors: ['REFRESH_TOKEN_INVALID'],
  async handler(c, deps, { body }) {
    const ttl = deps.config.get('auth').refresh_token_ttl_seconds
    const result = await rotate(deps.db, body.refresh_token, ttl)
    if (result.outcome === 'reused') {
      // A security event worth an alert; ids only, never the token.
      c.get('log').warn(
        { user_id: result.userId, family_id: result.familyId },
        'refresh token reused; family revoked',
      )
    }
    if (result.outcome !== 'rotated') throw new ApiError('REFRESH_TOKEN_INVALID')
    const user = { id: result.userId, handle: result.handle }
    return userTokenResponse(c, deps, user, result.refreshToken, 200)
  },
})
