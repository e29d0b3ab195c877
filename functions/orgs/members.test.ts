import { describe, expect, it } from 'vitest'
import { useTestKit } from '#test/harness/app.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { addMember, createOrg, createUser, orgWithRoles } from '#test/harness/fixtures.ts'
import { orgs } from './function.ts'

const kit = useTestKit()
const call = kit.call
const db = useTestDatabase({ appPool: 8 })

const world = () => orgWithRoles(db.admin)

const roles = async (orgId: string) =>
  Object.fromEntries(
    (
      await db.admin<{ user_id: string; role: string }[]>`
      select user_id, role from memberships where org_id = ${orgId}`
    ).map((r) => [r.user_id, r.role]),
  )

describe('members', () => {
  it('lists members with handle, role and joined_at for any member, paged', async () => {
    const a = await kit.app(orgs, { db: db.app })
    const w = await world()
    const list = await call(a, 'GET', `/v1/orgs/${w.org.id}/members`, { as: w.member })
    expect(list.status, list.text).toBe(200)
    expect(list.body.items).toEqual([
      { user_id: w.owner.id, handle: w.owner.handle, role: 'owner', joined_at: expect.any(String) },
      { user_id: w.admin.id, handle: w.admin.handle, role: 'admin', joined_at: expect.any(String) },
      {
        user_id: w.member.id,
        handle: w.member.handle,
        role: 'member',
        joined_at: expect.any(String),
      },
    ])
    const first = await call(a, 'GET', `/v1/orgs/${w.org.id}/members?limit=2`, { as: w.member })
    expect(first.body.items).toHaveLength(2)
    const second = await call(
      a,
      'GET',
      `/v1/orgs/${w.org.id}/members?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`,
      { as: w.member },
    )
    expect(second.body).toEqual({ items: [list.body.items[2]], next_cursor: null })
  })

  it('lets only owners change roles; MEMBER_NOT_FOUND for a non-member; body extras ignored', async () => {
    const a = await kit.app(orgs, { db: db.app })
    const w = await world()
    const stranger = await createUser(db.admin)
    for (const who of [w.admin, w.member]) {
      const res = await call(a, 'PATCH', `/v1/orgs/${w.org.id}/members/${w.member.id}`, {
        as: who,
        body: {
          role: 'admin',
        },
      })
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN'])
    }
    const promoted = await call(a, 'PATCH', `/v1/orgs/${w.org.id}/members/${w.member.id}`, {
      as: w.owner,
      body: {
        role: 'admin',
        user_id: w.owner.id,
        org_id: '00000000-0000-4000-8000-000000000000',
      },
    })
    expect(promoted.status, promoted.text).toBe(200)
    expect(promoted.body).toMatchObject({
      user_id: w.member.id,
      handle: w.member.handle,
      role: 'admin',
    })
    expect(await roles(w.org.id)).toEqual({
      [w.owner.id]: 'owner',
      [w.admin.id]: 'admin',
      [w.member.id]: 'admin',
    })
    const nobody = await call(a, 'PATCH', `/v1/orgs/${w.org.id}/members/${stranger.id}`, {
      as: w.owner,
      body: {
        role: 'admin',
      },
    })
    expect([nobody.status, nobody.body.code]).toEqual([404, 'MEMBER_NOT_FOUND'])
    const bad = await call(a, 'PATCH', `/v1/orgs/${w.org.id}/members/${w.member.id}`, {
      as: w.owner,
      body: {
        role: 'god',
      },
    })
    expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED'])
    expect(bad.text).not.toContain('god')
  })

  it('never demotes or removes the last owner (409 LAST_OWNER), but does with two', async () => {
    const a = await kit.app(orgs, { db: db.app })
    const w = await world()
    const demote = await call(a, 'PATCH', `/v1/orgs/${w.org.id}/members/${w.owner.id}`, {
      as: w.owner,
      body: {
        role: 'admin',
      },
    })
    expect([demote.status, demote.body.code]).toEqual([409, 'LAST_OWNER'])
    const leave = await call(a, 'DELETE', `/v1/orgs/${w.org.id}/members/${w.owner.id}`, {
      as: w.owner,
    })
    expect([leave.status, leave.body.code]).toEqual([409, 'LAST_OWNER'])
    const kick = await call(a, 'DELETE', `/v1/orgs/${w.org.id}/members/${w.owner.id}`, {
      as: w.admin,
    })
    expect([kick.status, kick.body.code]).toEqual([409, 'LAST_OWNER'])
    expect(
      (
        await call(a, 'PATCH', `/v1/orgs/${w.org.id}/members/${w.admin.id}`, {
          as: w.owner,
          body: {
            role: 'owner',
          },
        })
      ).status,
    ).toBe(200)
    // Two owners now: an admin still may not remove one (admins rank below owners).
    await addMember(db.admin, w.org, await createUser(db.admin), 'admin')
    const [otherAdmin] =
      await db.admin`select user_id from memberships where org_id = ${w.org.id} and role = 'admin'`
    const adminKick = await call(a, 'DELETE', `/v1/orgs/${w.org.id}/members/${w.owner.id}`, {
      as: { id: otherAdmin?.user_id, handle: 'guest-0000' },
    })
    expect([adminKick.status, adminKick.body.code]).toEqual([403, 'FORBIDDEN'])
    const demoted = await call(a, 'PATCH', `/v1/orgs/${w.org.id}/members/${w.owner.id}`, {
      as: w.owner,
      body: {
        role: 'member',
      },
    })
    expect(demoted.status, demoted.text).toBe(200)
    expect((await roles(w.org.id))[w.admin.id]).toBe('owner')
  })

  it('lets admins remove members, anyone leave, and plain members remove nobody else', async () => {
    const a = await kit.app(orgs, { db: db.app })
    const w = await world()
    const extra = await createUser(db.admin)
    await addMember(db.admin, w.org, extra, 'member')
    const denied = await call(a, 'DELETE', `/v1/orgs/${w.org.id}/members/${extra.id}`, {
      as: w.member,
    })
    expect([denied.status, denied.body.code]).toEqual([403, 'FORBIDDEN'])
    expect(
      (await call(a, 'DELETE', `/v1/orgs/${w.org.id}/members/${extra.id}`, { as: w.admin })).status,
    ).toBe(204)
    const again = await call(a, 'DELETE', `/v1/orgs/${w.org.id}/members/${extra.id}`, {
      as: w.admin,
    })
    expect([again.status, again.body.code]).toEqual([404, 'MEMBER_NOT_FOUND'])
    expect(
      (await call(a, 'DELETE', `/v1/orgs/${w.org.id}/members/${w.member.id}`, { as: w.member }))
        .status,
    ).toBe(204)
    // Gone means gone: the former member now sees no org at all.
    const after = await call(a, 'GET', `/v1/orgs/${w.org.id}`, { as: w.member })
    expect([after.status, after.body.code]).toEqual([404, 'ORG_NOT_FOUND'])
    expect(await roles(w.org.id)).toEqual({ [w.owner.id]: 'owner', [w.admin.id]: 'admin' })
  })

  it('keeps an owner when two owners demote themselves or leave at the same time', async () => {
    const a = await kit.app(orgs, { db: db.app })
    for (let round = 0; round < 5; round++) {
      const one = await createUser(db.admin)
      const two = await createUser(db.admin)
      const org = await createOrg(db.admin, one)
      await addMember(db.admin, org, two, 'owner')
      const results =
        round % 2 === 0
          ? await Promise.all([
              call(a, 'PATCH', `/v1/orgs/${org.id}/members/${one.id}`, {
                as: one,
                body: { role: 'admin' },
              }),
              call(a, 'PATCH', `/v1/orgs/${org.id}/members/${two.id}`, {
                as: two,
                body: { role: 'admin' },
              }),
            ])
          : await Promise.all([
              call(a, 'DELETE', `/v1/orgs/${org.id}/members/${one.id}`, { as: one }),
              call(a, 'DELETE', `/v1/orgs/${org.id}/members/${two.id}`, { as: two }),
            ])
      const codes = results.map((r) => r.body?.code ?? r.status).sort()
      expect(codes, JSON.stringify(results.map((r) => r.text))).toEqual(
        round % 2 === 0 ? [200, 'LAST_OWNER'] : [204, 'LAST_OWNER'],
      )
      const [owners] =
        await db.admin`select count(*)::int as n from memberships where org_id = ${org.id} and role = 'owner'`
      expect(owners?.n).toBe(1)
    }
  })

  it('keeps an owner when two owners demote each other at the same time', async () => {
    const a = await kit.app(orgs, { db: db.app })
    for (let round = 0; round < 5; round++) {
      const one = await createUser(db.admin)
      const two = await createUser(db.admin)
      const org = await createOrg(db.admin, one)
      await addMember(db.admin, org, two, 'owner')
      const results = await Promise.all([
        call(a, 'PATCH', `/v1/orgs/${org.id}/members/${two.id}`, {
          as: one,
          body: { role: 'member' },
        }),
        call(a, 'PATCH', `/v1/orgs/${org.id}/members/${one.id}`, {
          as: two,
          body: { role: 'member' },
        }),
      ])
      // The loser was demoted before its turn, so it is no longer an owner: 403.
      expect(
        results.map((r) => r.status).sort(),
        JSON.stringify(results.map((r) => r.text)),
      ).toEqual([200, 403])
      const [owners] =
        await db.admin`select count(*)::int as n from memberships where org_id = ${org.id} and role = 'owner'`
      expect(owners?.n).toBe(1)
    }
  })
})
