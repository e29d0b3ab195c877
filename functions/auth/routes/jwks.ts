import * as v from 'valibot'
import { route } from '../deps.ts'

const JwksSchema = v.object({
  keys: v.array(
    v.object({
      kty: v.string(),
      crv: v.string(),
      x: v.string(),
      y: v.optional(v.string()),
      kid: v.string(),
      alg: v.picklist(['EdDSA', 'ES256']),
      use: v.literal('sig'),
    }),
  ),
})

/**
 * GET /.well-known/jwks.json — the public keys (active and still-published ones), each
 * with kid, alg and use: "sig"; never a private member (KeySet.publicJwks builds them
 * from public members only). Cacheable for five minutes: a new key is published well
 * before it signs (DESIGN.md §3), and verifiers refetch on an unknown kid anyway.
 */
export const jwks = route({
  method: 'get',
  path: '/.well-known/jwks.json',
  summary: 'The public keys access tokens are signed with (RFC 7517)',
  tag: 'auth',
  auth: 'none',
  response: { status: 200, description: 'The JWK set, public members only', schema: JwksSchema },
  errors: [],
  handler: (c, deps) =>
    c.json(deps.keys.publicJwks(), 200, { 'Cache-Control': 'public, max-age=300' }),
})
