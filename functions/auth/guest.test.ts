import { decodeProtectedHeader } from 'jose'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { useTestKit } from '#test/harness/app.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { createUser } from '#test/harness/fixtures.ts'
import { auth } from './function.ts'
import { UserTokenResponseSchema } from './lib/token-response.ts'
import { signIn } from './test-support.ts'

/** POST /v1/auth/guest: handles, no PII, tokens, the per-address rate limit. */

const tests = useTestKit()
const call = tests.call
const db = useTestDatabase()
const HANDLE = /^guest-\d{4,12}$/

describe('guest sign-in', () => {
  it('creates a guest and answers 201 with the token pair', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const res = await call(kit.app, 'POST', '/v1/auth/guest')
    expect(res.status, res.text).toBe(201)
    expect(Object.keys(res.body).sort()).toEqual(
      ['access_token', 'expires_in', 'refresh_token', 'token_type', 'user'].sort(),
    )
    expect(v.is(UserTokenResponseSchema, res.body), res.text).toBe(true) // the OpenAPI shape
    expect(res.body.token_type).toBe('Bearer')
    expect(res.body.expires_in).toBe(900) // the auth config's default
    expect(res.body.user.handle).toMatch(HANDLE)
    expect(Object.keys(res.body.user).sort()).toEqual(['handle', 'id'])
    expect(res.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/) // 32 bytes base64url
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  })

  it('the access token verifies with the shared verifier and carries the handle, no scope', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const body = await signIn(kit)
    const principal = await kit.verifier.verify(body.access_token)
    expect(principal).toMatchObject({
      kind: 'user',
      userId: body.user.id,
      handle: body.user.handle,
    })
    const [, payload] = body.access_token.split('.')
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString())
    expect(claims.scope).toBeUndefined()
    expect(claims.exp - claims.iat).toBe(900)
    expect(Object.keys(claims).sort()).toEqual(
      ['aud', 'exp', 'handle', 'iat', 'iss', 'jti', 'sub'].sort(),
    )
    expect(decodeProtectedHeader(body.access_token)).toEqual({
      alg: 'EdDSA',
      kid: kit.keys.signing.kid,
      typ: 'at+jwt',
    })
  })

  it('takes token lifetimes from the auth config', async () => {
    const kit = await tests.build(auth, { db: db.app })
    kit.config.apply('auth', 99, { access_token_ttl_seconds: 120, refresh_token_ttl_seconds: 7200 })
    const body = await signIn(kit)
    expect(body.expires_in).toBe(120)
    const [row] = await db.admin<{ seconds: number }[]>`
      select extract(epoch from expires_at - created_at)::int as seconds
        from refresh_tokens where user_id = ${body.user.id}`
    expect(row?.seconds).toBe(7200)
  })

  it('stores only id, handle and created_at, and the refresh token only as its hash', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const body = await signIn(kit)
    const columns = await db.admin<{ column_name: string }[]>`
      select column_name from information_schema.columns
       where table_schema = 'public' and table_name = 'users' order by column_name`
    expect(columns.map((c) => c.column_name)).toEqual(['created_at', 'handle', 'id'])
    const [user] = await db.admin`select * from users where id = ${body.user.id}`
    expect(Object.keys(user ?? {}).sort()).toEqual(['created_at', 'handle', 'id'])
    const tokens = await db.admin`select * from refresh_tokens where user_id = ${body.user.id}`
    expect(tokens).toHaveLength(1)
    const stored = JSON.stringify(tokens, (_k, v) =>
      v?.type === 'Buffer' ? Buffer.from(v.data).toString('base64url') : v,
    )
    expect(stored).not.toContain(body.refresh_token)
    expect(tokens[0]?.token_hash).toHaveLength(32)
  })

  it('gives random, unique handles', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const bodies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => signIn(kit, `198.51.100.${i}`)),
    )
    const handles = bodies.map((b) => b.user.handle)
    expect(new Set(handles).size).toBe(20)
    for (const handle of handles) expect(handle).toMatch(HANDLE)
  })

  it('draws again when a handle is taken', async () => {
    const taken = await createUser(db.admin)
    const draws = [taken.handle, taken.handle, 'guest-4242424242']
    const kit = await tests.build(auth, {
      db: db.app,
      with: { newHandle: () => draws.shift() ?? 'guest-0000000001' },
    })
    const body = await signIn(kit)
    expect(body.user.handle).toBe('guest-4242424242')
    expect(draws).toEqual([])
  })

  it('fails with a generic 500 (no SQL) when every draw is taken', async () => {
    const taken = await createUser(db.admin)
    const kit = await tests.build(auth, { db: db.app, with: { newHandle: () => taken.handle } })
    const res = await call(kit.app, 'POST', '/v1/auth/guest')
    expect([res.status, res.body.code], res.text).toEqual([500, 'INTERNAL'])
    expect(res.text).not.toMatch(/handle|insert|users/i)
  })

  it('ignores a body: nothing the client sends reaches the user (mass assignment)', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const victim = await createUser(db.admin)
    const res = await call(kit.app, 'POST', '/v1/auth/guest', {
      body: { id: victim.id, handle: 'guest-1234', scope: 'config:write', user: { id: victim.id } },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.user.id).not.toBe(victim.id)
    expect(res.body.user.handle).not.toBe('guest-1234')
    const principal = await kit.verifier.verify(res.body.access_token)
    expect(principal.kind).toBe('user')
  })

  it('does not honour Idempotency-Key: each call is a new guest', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const headers = { 'idempotency-key': 'same-key' }
    const a = await call(kit.app, 'POST', '/v1/auth/guest', { headers })
    const b = await call(kit.app, 'POST', '/v1/auth/guest', { headers })
    expect([a.status, b.status]).toEqual([201, 201])
    expect(a.body.user.id).not.toBe(b.body.user.id)
    expect(b.headers.get('idempotent-replayed')).toBeNull()
  })

  it('answers 405 for other methods', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const res = await call(kit.app, 'GET', '/v1/auth/guest')
    expect([res.status, res.body.code]).toEqual([405, 'METHOD_NOT_ALLOWED'])
  })
})

describe('guest sign-in rate limit (per client address, from the ratelimits config)', () => {
  const limits = (limit: number) => ({
    guest_signin: { limit, window_seconds: 60 },
    authenticated: { limit: 600, window_seconds: 60 },
  })

  it('429 RATE_LIMITED with Retry-After and RateLimit headers, per address', async () => {
    const kit = await tests.build(auth, { db: db.app })
    kit.config.apply('ratelimits', 99, limits(3))
    for (let i = 0; i < 3; i++) {
      const ok = await call(kit.app, 'POST', '/v1/auth/guest', { address: '203.0.113.5' })
      expect(ok.status, ok.text).toBe(201)
      expect(ok.headers.get('ratelimit-policy')).toBe('"guest-signin";q=3;w=60')
      expect(ok.headers.get('ratelimit')).toMatch(new RegExp(`^"guest-signin";r=${2 - i};t=\\d+$`))
    }
    const before = await db.admin`select count(*)::int as n from users`
    const limited = await call(kit.app, 'POST', '/v1/auth/guest', { address: '203.0.113.5' })
    expect([limited.status, limited.body.code], limited.text).toEqual([429, 'RATE_LIMITED'])
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.headers.get('ratelimit-policy')).toBe('"guest-signin";q=3;w=60')
    expect(limited.headers.get('ratelimit')).toMatch(/^"guest-signin";r=0;t=\d+$/)
    expect(await db.admin`select count(*)::int as n from users`).toEqual(before) // no guest made

    // Another address has its own budget.
    const other = await call(kit.app, 'POST', '/v1/auth/guest', { address: '203.0.113.6' })
    expect(other.status).toBe(201)
  })

  it('ignores X-Forwarded-For unless the function is behind a trusted proxy', async () => {
    const direct = await tests.build(auth, { db: db.app })
    direct.config.apply('ratelimits', 99, limits(1))
    const spoof = (kit: typeof direct, xff: string) =>
      call(kit.app, 'POST', '/v1/auth/guest', {
        address: '127.0.0.1',
        headers: { 'x-forwarded-for': xff },
      })
    expect((await spoof(direct, '198.51.100.1')).status).toBe(201)
    // A fresh X-Forwarded-For does not buy a fresh budget: the socket address counts.
    expect((await spoof(direct, '198.51.100.2')).status).toBe(429)

    const proxied = await tests.build(auth, { db: db.app, with: { trustProxy: true } })
    proxied.config.apply('ratelimits', 99, limits(1))
    expect((await spoof(proxied, '198.51.100.1, 10.0.0.1')).status).toBe(201)
    expect((await spoof(proxied, '198.51.100.1, 10.0.0.2')).status).toBe(429) // same client
    expect((await spoof(proxied, '198.51.100.2, 10.0.0.1')).status).toBe(201) // another one
    // Junk in the header falls back to the socket peer, which still has its budget once.
    expect((await spoof(proxied, 'not-an-ip')).status).toBe(201)
    expect((await spoof(proxied, 'still junk')).status).toBe(429)
  })

  it('counts an IPv6 /64 as one client, and IPv4-mapped addresses as IPv4', async () => {
    const kit = await tests.build(auth, { db: db.app })
    kit.config.apply('ratelimits', 99, limits(1))
    const from = (address: string) => call(kit.app, 'POST', '/v1/auth/guest', { address })
    expect((await from('2001:db8:1:2::1')).status).toBe(201)
    expect((await from('2001:db8:1:2:ffff::9')).status).toBe(429)
    expect((await from('2001:db8:1:3::1')).status).toBe(201)
    expect((await from('192.0.2.77')).status).toBe(201)
    expect((await from('::ffff:192.0.2.77')).status).toBe(429)
  })
})
