import type { Hono } from 'hono'
import * as v from 'valibot'
import type { AppEnv } from '#shared/http/app-env.ts'
import { ApiError } from '#shared/http/errors.ts'
import { jsonBody } from '#shared/http/input.ts'
import type { RouteSpec } from '#shared/http/route-spec.ts'
import type { AuthDeps } from '../deps.ts'
import { rotate } from '../lib/refresh-tokens.ts'
import { UserTokenResponseSchema, userTokenResponse } from '../lib/token-response.ts'

const Body = v.object({
  refresh_token: v.pipe(
    v.string('must be a string'),
    v.minLength(1, 'must not be empty'),
    v.maxLength(512, 'must be at most 512 characters'),
  ),
})

export const refreshSpec: RouteSpec = {
  method: 'post',
  path: '/v1/auth/refresh',
  summary: 'Trade a refresh token for a new pair (the old one stops working)',
  tag: 'auth',
  auth: 'none',
  body: Body,
  response: { status: 200, description: 'A new token pair', schema: UserTokenResponseSchema },
  errors: ['REFRESH_TOKEN_INVALID'],
}

/**
 * POST /v1/auth/refresh — `{ refresh_token }` → a new pair (200, same shape as guest
 * sign-in). Unknown, expired, revoked or rotated → 401 REFRESH_TOKEN_INVALID, one answer
 * for all, so the response tells an attacker nothing; a rotated one also revokes its
 * family (lib/refresh-tokens.ts). Not idempotent by design: replaying a refresh is
 * exactly the reuse this route must detect.
 */
export function registerRefresh(app: Hono<AppEnv>, deps: AuthDeps): void {
  app.post('/v1/auth/refresh', async (c) => {
    const body = await jsonBody(c, Body)
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
  })
}
