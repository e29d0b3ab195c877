import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { type Built, useTestKit } from '#test/harness/app.ts'
import { createTestDatabase, useTestDatabase } from '#test/harness/database.ts'
import { auth } from './function.ts'
import { UserTokenResponseSchema } from './lib/token-response.ts'
import { refresh, signIn } from './test-support.ts'

/** POST /v1/auth/refresh: rotation, reuse detection, races, expiry, bad input. */

const tests = useTestKit()
const call = tests.call
const db = useTestDatabase()

const invalid = (res: { status: number; body: { code?: string } }) => [res.status, res.body?.code]
const INVALID = [401, 'REFRESH_TOKEN_INVALID']

describe('refresh rotation', () => {
  it('returns a new pair; the old refresh token stops working', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const first = await signIn(kit)
    const res = await refresh(kit, first.refresh_token)
    expect(res.status, res.text).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(
      ['access_token', 'expires_in', 'refresh_token', 'token_type', 'user'].sort(),
    )
    expect(v.is(UserTokenResponseSchema, res.body), res.text).toBe(true)
    expect(res.body.user).toEqual(first.user)
    expect(res.body.token_type).toBe('Bearer')
    expect(res.body.refresh_token).not.toBe(first.refresh_token)
    expect(res.body.access_token).not.toBe(first.access_token)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const principal = await kit.verifier.verify(res.body.access_token)
    expect(principal).toMatchObject({
      kind: 'user',
      userId: first.user.id,
      handle: first.user.handle,
    })

    // The new one rotates on; both belong to the same family.
    const again = await refresh(kit, res.body.refresh_token)
    expect(again.status, again.text).toBe(200)
    const families = await db.admin`
      select distinct family_id from refresh_tokens where user_id = ${first.user.id}`
    expect(families).toHaveLength(1)
  })

  it('reusing a rotated token → 401 and the whole family is revoked, newest included', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const first = await signIn(kit)
    const second = (await refresh(kit, first.refresh_token)).body
    const third = (await refresh(kit, second.refresh_token)).body
    expect(third.refresh_token).toBeTruthy()

    expect(invalid(await refresh(kit, first.refresh_token))).toEqual(INVALID) // reuse
    expect(invalid(await refresh(kit, third.refresh_token))).toEqual(INVALID) // newest: dead
    expect(invalid(await refresh(kit, second.refresh_token))).toEqual(INVALID)
    const live = await db.admin`
      select id from refresh_tokens where user_id = ${first.user.id} and revoked_at is null`
    expect(live).toEqual([])
  })

  it('reuse revokes only that family: another sign-in of the same user is untouched', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const a = await signIn(kit)
    const b = await signIn(kit)
    await refresh(kit, a.refresh_token)
    expect(invalid(await refresh(kit, a.refresh_token))).toEqual(INVALID)
    expect((await refresh(kit, b.refresh_token)).status).toBe(200)
  })

  it('two concurrent refreshes of one token: exactly one wins, then the family is revoked', async () => {
    const own = await createTestDatabase({ appPool: 8 })
    try {
      const kit = await tests.build(auth, { db: own.app })
      for (let round = 0; round < 5; round++) {
        const start = await signIn(kit)
        const results = await Promise.all([
          refresh(kit, start.refresh_token),
          refresh(kit, start.refresh_token),
        ])
        const statuses = results.map((r) => r.status).sort()
        expect(statuses, JSON.stringify(results.map((r) => r.body))).toEqual([200, 401])
        const winner = results.find((r) => r.status === 200)
        // The loser counted as reuse, so even the winner's new token is revoked.
        expect(invalid(await refresh(kit, winner?.body.refresh_token))).toEqual(INVALID)
        const live = await own.admin`
          select 1 from refresh_tokens where user_id = ${start.user.id} and revoked_at is null`
        expect(live).toHaveLength(0)
      }
    } finally {
      await own.drop()
    }
  })

  it('an expired token → 401, and its family is not revoked for it', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const first = await signIn(kit)
    const other = await signIn(kit)
    await db.admin`
      update refresh_tokens set created_at = now() - interval '2 days',
                                expires_at = now() - interval '1 second'
       where user_id = ${first.user.id}`
    expect(invalid(await refresh(kit, first.refresh_token))).toEqual(INVALID)
    const [row] =
      await db.admin`select revoked_at from refresh_tokens where user_id = ${first.user.id}`
    expect(row?.revoked_at).toBeNull()
    expect((await refresh(kit, other.refresh_token)).status).toBe(200)
  })

  it('tampered, unknown, or an access token in its place → 401 REFRESH_TOKEN_INVALID', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const first = await signIn(kit)
    const t = first.refresh_token
    const flipped = `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`
    for (const token of [
      flipped,
      `${t}x`,
      t.slice(1),
      'A'.repeat(43),
      first.access_token.slice(0, 512),
      'not a token',
    ]) {
      expect(invalid(await refresh(kit, token)), token).toEqual(INVALID)
    }
    // None of those touched the real token.
    expect((await refresh(kit, t)).status).toBe(200)
  })

  it('a token whose user is gone → 401', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const first = await signIn(kit)
    await db.admin`delete from users where id = ${first.user.id}`
    expect(invalid(await refresh(kit, first.refresh_token))).toEqual(INVALID)
  })
})

describe('refresh input', () => {
  const post = (kit: Built<unknown>, init: Parameters<typeof call>[3]) =>
    call(kit.app, 'POST', '/v1/auth/refresh', init)

  it('400 VALIDATION_FAILED without echoing the input', async () => {
    const kit = await tests.build(auth, { db: db.app })
    for (const body of [{}, { refresh_token: 42 }, { refresh_token: '' }, [], 'secret-ish']) {
      const res = await post(kit, { body })
      expect([res.status, res.body.code], res.text).toEqual([400, 'VALIDATION_FAILED'])
      expect(res.body.errors?.[0]?.location).toMatch(/^body/)
    }
    const long = await post(kit, { body: { refresh_token: 'S3CRET'.repeat(100) } })
    expect([long.status, long.body.code]).toEqual([400, 'VALIDATION_FAILED'])
    expect(long.text).not.toContain('S3CRET')
    const none = await post(kit, {})
    expect([none.status, none.body.code]).toEqual([400, 'VALIDATION_FAILED'])
  })

  it('400 MALFORMED_JSON, 415 for other media types (form-encoded included), 413 over 64 KiB', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const json = { 'content-type': 'application/json' }
    const bad = await post(kit, { raw: '{"refresh_token":', headers: json })
    expect([bad.status, bad.body.code]).toEqual([400, 'MALFORMED_JSON'])
    const form = await post(kit, {
      raw: 'refresh_token=abc',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect([form.status, form.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE'])
    const big = await post(kit, {
      raw: JSON.stringify({ refresh_token: 'x'.repeat(70 * 1024) }),
      headers: json,
    })
    expect([big.status, big.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE'])
    expect(big.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(typeof big.body.request_id).toBe('string')
  })

  it('ignores extra fields (mass assignment): the user comes from the token only', async () => {
    const kit = await tests.build(auth, { db: db.app })
    const mine = await signIn(kit)
    const other = await signIn(kit)
    const res = await post(kit, {
      body: { refresh_token: mine.refresh_token, user_id: other.user.id, handle: 'guest-1111' },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.user).toEqual(mine.user)
  })
})
