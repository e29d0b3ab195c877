import * as v from 'valibot'
import { ApiError } from '#shared/http/errors.ts'
import { route } from '../deps.ts'
import { accessToken, ClientTokenResponseSchema, NO_STORE } from '../lib/token-response.ts'

const Body = v.object({
  grant_type: v.literal('client_credentials', "must be 'client_credentials'"),
  client_id: v.pipe(
    v.string('must be a string'),
    v.minLength(1, 'must not be empty'),
    v.maxLength(128, 'must be at most 128 characters'),
  ),
  client_secret: v.pipe(
    v.string('must be a string'),
    v.minLength(1, 'must not be empty'),
    v.maxLength(512, 'must be at most 512 characters'),
  ),
  /** Space-separated (RFC 6749 §3.3); omitted → every scope the client may have. */
  scope: v.optional(
    v.pipe(v.string('must be a string'), v.maxLength(1024, 'must be at most 1024 characters')),
  ),
})

/**
 * POST /v1/auth/token — the client-credentials grant, JSON in and out like every route
 * (API.md); form-encoded bodies are 415. Wrong secret or unknown client: the same 401
 * UNAUTHENTICATED (with WWW-Authenticate, as API.md's auth rule says) in the same time.
 * Scopes are checked only after the credentials, so nobody learns a client's scopes
 * without its secret; asking for one the client may not have → 403 FORBIDDEN (API.md
 * "missing scope → 403"), not a silently narrowed grant.
 */
export const clientToken = route({
  method: 'post',
  path: '/v1/auth/token',
  summary: 'Client credentials: a machine token with scopes',
  tag: 'auth',
  auth: 'none',
  body: Body,
  example: {
    grant_type: 'client_credentials',
    client_id: 'ops',
    client_secret: 'the client secret',
    scope: 'config:read',
  },
  response: {
    status: 200,
    description: 'A machine access token',
    schema: ClientTokenResponseSchema,
  },
  errors: ['UNAUTHENTICATED', 'FORBIDDEN'],
  async handler(c, deps, { body }) {
    const allowed = deps.clients.authenticate(body.client_id, body.client_secret)
    if (allowed === undefined) {
      throw new ApiError('UNAUTHENTICATED', {
        detail: 'The client credentials are not valid.',
        headers: { 'WWW-Authenticate': 'Bearer' },
      })
    }
    const requested =
      body.scope === undefined ? [...allowed] : body.scope.split(' ').filter((s) => s !== '')
    const denied = requested.filter((scope) => !allowed.has(scope))
    if (denied.length > 0) {
      throw new ApiError('FORBIDDEN', {
        detail: 'A requested scope is not allowed for this client.',
      })
    }
    const scopes = [...new Set(requested)]
    const access = await accessToken(deps, { kind: 'client', clientId: body.client_id, scopes })
    return c.json(
      {
        access_token: access.token,
        token_type: 'Bearer' as const,
        expires_in: access.expiresIn,
        scope: scopes.join(' '),
      },
      200,
      NO_STORE,
    )
  },
})
