import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { createVerifier } from '#shared/auth/verifier.ts'
import { OPS_SECRET, useTestKit } from '#test/harness/app.ts'
import { TEST_AUDIENCE, TEST_ISSUER } from '#test/harness/auth.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { auth } from './function.ts'
import { ClientTokenResponseSchema } from './lib/token-response.ts'
import { signIn } from './test-support.ts'

/** POST /v1/auth/token (client credentials) and GET /.well-known/jwks.json. */

const tests = useTestKit()
const call = tests.call
const db = useTestDatabase()

const grant = (extra: Record<string, unknown> = {}) => ({
  grant_type: 'client_credentials',
  client_id: 'ops',
  client_secret: OPS_SECRET,
  scope: 'config:write',
  ...extra,
})

describe('client credentials', () => {
  it('issues a machine token with the requested scopes, verified by the shared verifier', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const res = await call(kit.app, 'POST', '/v1/auth/token', { body: grant() })
    expect(res.status, res.text).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(
      ['access_token', 'expires_in', 'scope', 'token_type'].sort(),
    )
    expect(v.is(ClientTokenResponseSchema, res.body), res.text).toBe(true)
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'config:write' })
    expect(res.headers.get('cache-control')).toBe('no-store')
    const principal = await kit.verifier.verify(res.body.access_token)
    expect(principal).toMatchObject({ kind: 'client', clientId: 'ops', scopes: ['config:write'] })
    const claims = JSON.parse(
      Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString(),
    )
    expect(claims.handle).toBeUndefined()
  })

  it('grants every allowed scope when none is asked for, and de-duplicates', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const all = await call(kit.app, 'POST', '/v1/auth/token', { body: grant({ scope: undefined }) })
    expect(all.body.scope).toBe('config:read config:write')
    const dup = await call(kit.app, 'POST', '/v1/auth/token', {
      body: grant({ scope: 'config:read  config:read' }),
    })
    expect(dup.body.scope).toBe('config:read')
  })

  it('bad secret and unknown client: the same 401 UNAUTHENTICATED with WWW-Authenticate', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const cases = [
      grant({ client_secret: `${OPS_SECRET}x` }),
      grant({ client_secret: 'reader-secret-xxxxxxxxxxxxxxxx' }), // another client's secret
      grant({ client_id: 'nobody' }),
      grant({ client_id: '__proto__' }),
      grant({ client_id: 'constructor' }),
    ]
    const answers = []
    for (const body of cases) {
      const res = await call(kit.app, 'POST', '/v1/auth/token', { body })
      expect([res.status, res.body.code], res.text).toEqual([401, 'UNAUTHENTICATED'])
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
      expect(res.text).not.toContain(OPS_SECRET)
      const { request_id: _r, ...rest } = res.body
      answers.push(JSON.stringify(rest))
    }
    expect(new Set(answers).size).toBe(1) // nothing tells an unknown client from a bad secret
  })

  it('a scope the client may not have → 403 FORBIDDEN, checked only after the secret', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const reader = {
      client_id: 'reader',
      client_secret: 'reader-secret-xxxxxxxxxxxxxxxx',
    }
    const res = await call(kit.app, 'POST', '/v1/auth/token', {
      body: grant({ ...reader, scope: 'config:read config:write' }),
    })
    expect([res.status, res.body.code], res.text).toEqual([403, 'FORBIDDEN'])
    const unknown = await call(kit.app, 'POST', '/v1/auth/token', {
      body: grant({ ...reader, scope: 'admin' }),
    })
    expect(unknown.status).toBe(403)
    // Wrong secret with a forbidden scope: 401, so scopes leak nothing without the secret.
    const wrong = await call(kit.app, 'POST', '/v1/auth/token', {
      body: grant({ client_id: 'reader', client_secret: 'nope', scope: 'config:write' }),
    })
    expect(wrong.status).toBe(401)
  })

  it('400 VALIDATION_FAILED for another grant type or missing fields; JSON only', async () => {
    const kit = await tests.build(auth, { db: db.app })
    for (const body of [
      grant({ grant_type: 'password' }),
      grant({ grant_type: undefined }),
      grant({ client_secret: undefined }),
      grant({ client_id: 7 }),
      grant({ scope: ['config:read'] }),
    ]) {
      const res = await call(kit.app, 'POST', '/v1/auth/token', { body })
      expect([res.status, res.body.code], res.text).toEqual([400, 'VALIDATION_FAILED'])
      expect(res.text).not.toContain(OPS_SECRET)
    }
    const form = await call(kit.app, 'POST', '/v1/auth/token', {
      raw: `grant_type=client_credentials&client_id=ops&client_secret=${OPS_SECRET}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect([form.status, form.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE'])
  })

  it('a guest token never carries a scope', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const guest = await signIn(kit)
    const principal = await kit.verifier.verify(guest.access_token)
    expect(principal.kind).toBe('user')
    expect('scopes' in principal).toBe(false)
  })
})

describe('JWKS', () => {
  it('publishes public keys only, each with kid, alg and use: sig', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const res = await call(kit.app, 'GET', '/.well-known/jwks.json')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.body.keys).toHaveLength(1)
    for (const key of res.body.keys) {
      expect(key).toMatchObject({ kid: kit.keys.signing.kid, alg: 'EdDSA', use: 'sig', kty: 'OKP' })
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
        expect(key).not.toHaveProperty(secret)
    }
  })

  it('what it publishes verifies the tokens it issues (as the other functions do)', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const jwks = (await call(kit.app, 'GET', '/.well-known/jwks.json')).body
    const remote = await createVerifier({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwks })
    const guest = await signIn(kit)
    expect((await remote.verify(guest.access_token)).kind).toBe('user')
  })
})
