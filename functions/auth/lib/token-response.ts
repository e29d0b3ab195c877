import type { Context } from 'hono'
import * as v from 'valibot'
import { issueAccessToken, type TokenSubject } from '#shared/auth/tokens.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import type { AuthDeps } from '../deps.ts'

/** The body of guest sign-in and refresh (API.md "auth"). */
export interface UserTokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token: string
  user: { id: string; handle: string }
}

/** The response shapes, for the OpenAPI document. */
export const UserTokenResponseSchema = v.object({
  access_token: v.string(),
  token_type: v.literal('Bearer'),
  expires_in: v.pipe(v.number(), v.integer()),
  refresh_token: v.string(),
  user: v.object({ id: v.pipe(v.string(), v.uuid()), handle: v.string() }),
})

export const ClientTokenResponseSchema = v.object({
  access_token: v.string(),
  token_type: v.literal('Bearer'),
  expires_in: v.pipe(v.number(), v.integer()),
  scope: v.string(),
})

/** RFC 6749 §5.1: responses holding tokens must not be stored by any cache. */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const

/** Signs an access token with the active key; the lifetime comes from the `auth` config. */
export function accessToken(deps: AuthDeps, subject: TokenSubject) {
  return issueAccessToken(deps.keys.signing, subject, {
    issuer: deps.issuer,
    audience: deps.audience,
    lifetimeSeconds: deps.config.get('auth').access_token_ttl_seconds,
  })
}

export async function userTokenResponse(
  c: Context<AppEnv>,
  deps: AuthDeps,
  user: { id: string; handle: string },
  refreshToken: string,
  status: 200 | 201,
): Promise<Response> {
  const access = await accessToken(deps, { kind: 'user', userId: user.id, handle: user.handle })
  const body: UserTokenResponse = {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    refresh_token: refreshToken,
    user: { id: user.id, handle: user.handle },
  }
  return c.json(body, status, NO_STORE)
}
