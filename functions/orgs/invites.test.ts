import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestKit } from '#test/harness/app.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { createUser, orgWithRoles } from '#test/harness/fixtures.ts'
import { orgs } from './function.ts'

const kit = useTestKit()
const call = kit.call
const db = useTestDatabase({ appPool: 8 })

const world = () => orgWithRoles(db.admin)

describe('invites', () => {
  it('lets an admin invite; the code works once and is stored only as its SHA-256', async () => {
    const a = await kit.app(orgs, { db: db.app })
    const w = await world()
    const guest = await createUser(db.admin)
    const invite = await call(a, 'POST', `/v1/orgs/${w.org.id}/invites`, { as: w.admin })
    expect(invite.status, invite.text).toBe(201)
    expect(Object.keys(invite.body).sort()).toEqual(['code', 'expires_at', 'role'])
    expect(invite.body.role).toBe('member')
    expect(invite.body.code).toMatch(/^[A-Za-z0-9_-]{43}$/) // 256 random bits
    const days = (Date.parse(invite.body.expires_at) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(6.99)
    expect(days).toBeLessThanOrEqual(7)
    const stored = await db.admin`select code_hash from invites where org_id = ${w.org.id}`
    expect(stored).toEqual([{ code_hash: createHash('sha256').update(invite.body.code).digest() }])
    const dump = JSON.stringify(await db.admin`select * from invites`)
    expect(dump).not.toContain(invite.body.code)

    const accepted = await call(a, 'POST', `/v1/invites/${invite.body.code}/accept`, { as: guest })
    expect(accepted.status, accepted.text).toBe(200)
    expect(accepted.body).toEqual({ org_id: w.org.id, role: 'member' })
    const read = await call(a, 'GET', `/v1/orgs/${w.org.id}`, { as: guest })
    expect(read.body.role).toBe('member')
    const [used] = await db.admin`select used_by from invites where org_id = ${w.org.id}`
    expect(used?.used_by).toBe(guest.id)

    const again = await call(a, 'POST', `/v1/invites/${invite.body.code}/accept`, {
      as: await createUser(db.admin),
    })
    expect([again.status, again.body.code]).toEqual([410, 'INVITE_EXPIRED'])
  })

  it('invites admins on request, never owners, and only admins may invite', async () => {
    const a = await kit.app(orgs, { db: db.app })
    const w = await world()
    const adminInvite = await call(a, 'POST', `/v1/orgs/${w.org.id}/invites`, {
      as: w.owner,
      body: {
        role: 'admin',
      },
    })
    expect([adminInvite.status, adminInvite.body.role]).toEqual([201, 'admin'])
    const guest = await createUser(db.admin)
    const joined = await call(a, 'POST', `/v1/invites/${adminInvite.body.code}/accept`, {
      as: guest,
    })
    expect(joined.body).toEqual({ org_id: w.org.id, role: 'admin' })
    const owner = await call(a, 'POST', `/v1/orgs/${w.org.id}/invites`, {
      as: w.owner,
      body: { role: 'owner' },
    })
    expect([owner.status, owner.body.code]).toEqual([400, 'VALIDATION_FAILED'])
    const denied = await call(a, 'POST', `/v1/orgs/${w.org.id}/invites`, { as: w.member, body: {} })
    expect([denied.status, denied.body.code]).toEqual([403, 'FORBIDDEN'])
    const planted = await call(a, 'POST', `/v1/orgs/${w.org.id}/invites`, {
      as: w.admin,
      body: {
        org_id: '00000000-0000-4000-8000-000000000000',
        expires_at: '2999-01-01T00:00:00Z',
        code: 'x'.repeat(43),
      },
    })
    expect(planted.status).toBe(201)
    expect(planted.body.code).not.toBe('x'.repeat(43))
    expect(Date.parse(planted.body.expires_at)).toBeLessThan(Date.now() + 8 * 86_400_000)
  })

  it('answers unknown, expired and already-member cases with their codes', async () => {
    const a = await kit.app(orgs, { db: db.app })
    const w = await world()
    const guest = await createUser(db.admin)
    const unknown = await call(a, 'POST', `/v1/invites/${'A'.repeat(43)}/accept`, { as: guest })
    expect([unknown.status, unknown.body.code]).toEqual([404, 'INVITE_NOT_FOUND'])

    const expired = await call(a, 'POST', `/v1/orgs/${w.org.id}/invites`, { as: w.admin })
    await db.admin`update invites set created_at = now() - interval '8 days', expires_at = now() - interval '1 day'
                    where code_hash = ${createHash('sha256').update(expired.body.code).digest()}`
    const late = await call(a, 'POST', `/v1/invites/${expired.body.code}/accept`, { as: guest })
    expect([late.status, late.body.code]).toEqual([410, 'INVITE_EXPIRED'])

    const mine = await call(a, 'POST', `/v1/orgs/${w.org.id}/invites`, { as: w.admin })
    const dup = await call(a, 'POST', `/v1/invites/${mine.body.code}/accept`, { as: w.member })
    expect([dup.status, dup.body.code]).toEqual([409, 'ALREADY_MEMBER'])
    // The failed attempt did not use the invite up: the person it was for can still join.
    expect(
      (await call(a, 'POST', `/v1/invites/${mine.body.code}/accept`, { as: guest })).status,
    ).toBe(200)
    const [count] =
      await db.admin`select count(*)::int as n from memberships where org_id = ${w.org.id}`
    expect(count?.n).toBe(4)
  })

  it('lets exactly one of several users accept the same code at once', async () => {
    const a = await kit.app(orgs, { db: db.app })
    for (let round = 0; round < 3; round++) {
      const w = await world()
      const invite = await call(a, 'POST', `/v1/orgs/${w.org.id}/invites`, { as: w.admin })
      const guests = await Promise.all(Array.from({ length: 5 }, () => createUser(db.admin)))
      const results = await Promise.all(
        guests.map((g) => call(a, 'POST', `/v1/invites/${invite.body.code}/accept`, { as: g })),
      )
      expect(
        results.map((r) => r.status).sort(),
        JSON.stringify(results.map((r) => r.text)),
      ).toEqual([200, 410, 410, 410, 410])
      const joined = await db.admin`select user_id from memberships where org_id = ${w.org.id}
                                    and user_id in ${db.admin(guests.map((g) => g.id))}`
      expect(joined).toHaveLength(1)
    }
  })

  it('replays an invite created with an Idempotency-Key instead of making a second one', async () => {
    const a = await kit.app(orgs, { db: db.app })
    const w = await world()
    const first = await call(a, 'POST', `/v1/orgs/${w.org.id}/invites`, {
      as: w.admin,
      body: {},
      headers: { 'idempotency-key': 'inv-1' },
    })
    const second = await call(a, 'POST', `/v1/orgs/${w.org.id}/invites`, {
      as: w.admin,
      body: {},
      headers: { 'idempotency-key': 'inv-1' },
    })
    expect(second.status).toBe(201)
    expect(second.text).toBe(first.text)
    expect(second.headers.get('idempotent-replayed')).toBe('true')
    const [n] = await db.admin`select count(*)::int as n from invites where org_id = ${w.org.id}`
    expect(n?.n).toBe(1)
    // The replay needs the code, but the database keeps it sealed, as invites keep it hashed.
    const [stored] = await db.admin<{ response_body: Buffer }[]>`
      select response_body from idempotency_keys where user_id = ${w.admin.id} and key = 'inv-1'`
    expect(stored?.response_body.toString('latin1')).not.toContain(first.body.code)
  })
})
