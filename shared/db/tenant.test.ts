import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '#test/harness/database.ts'
import { twoTenants } from '#test/harness/fixtures.ts'
import { asSystem, withUser } from './tenant.ts'

const db = useTestDatabase()

describe('withUser', () => {
  it('shows a user their own tenant and nothing of another', async () => {
    const { a, b } = await twoTenants(db.admin)
    const seen = await withUser(db.app, a.user.id, (tx) => tx`select id from projects`)
    const ids = seen.map((row) => row.id)
    expect(ids, JSON.stringify(seen)).toContain(a.project.id)
    expect(ids).not.toContain(b.project.id)
  })

  it('gives no rows without context', async () => {
    await twoTenants(db.admin)
    expect(await db.app`select id from projects`).toHaveLength(0)
    expect(await db.app`select id from orgs`).toHaveLength(0)
  })

  it('leaves no context on the connection after the transaction', async () => {
    const { a } = await twoTenants(db.admin)
    const single = db.app // pool of 4: run enough to reuse every connection
    await Promise.all(
      Array.from({ length: 8 }, () => withUser(single, a.user.id, (tx) => tx`select 1`)),
    )
    const rows = await Promise.all(
      Array.from(
        { length: 8 },
        () => single`select current_setting('app.user_id', true) as ctx, current_user as role`,
      ),
    )
    for (const row of rows.flat()) {
      expect(row.ctx ?? '').toBe('')
      expect(row.role).toBe('tenantry_app')
    }
  })

  it('returns what async work returns and commits its writes', async () => {
    const { a } = await twoTenants(db.admin)
    const renamed = await withUser(db.app, a.user.id, async (tx) => {
      const [org] = await tx`update orgs set name = 'Renamed' where id = ${a.org.id} returning name`
      return org?.name
    })
    expect(renamed).toBe('Renamed')
    const [row] = await db.admin`select name from orgs where id = ${a.org.id}`
    expect(row?.name).toBe('Renamed')
  })

  it('pipelines an array of queries and returns each result', async () => {
    const { a } = await twoTenants(db.admin)
    const [orgs, projects] = await withUser(db.app, a.user.id, (tx) => [
      tx`select id from orgs`,
      tx`select id from projects`,
    ])
    expect(orgs?.map((r) => r.id)).toEqual([a.org.id])
    expect(projects?.map((r) => r.id)).toEqual([a.project.id])
  })

  it('rolls back everything when the work throws', async () => {
    const { a } = await twoTenants(db.admin)
    await expect(
      withUser(db.app, a.user.id, async (tx) => {
        await tx`update orgs set name = 'Never' where id = ${a.org.id}`
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    const [row] = await db.admin`select name from orgs where id = ${a.org.id}`
    expect(row?.name).not.toBe('Never')
  })

  it('rolls back and reports the failing statement of a pipelined batch', async () => {
    const { a } = await twoTenants(db.admin)
    await expect(
      withUser(db.app, a.user.id, (tx) => [
        tx`update orgs set name = 'Never' where id = ${a.org.id}`,
        tx`select 1 / 0`,
      ]),
    ).rejects.toThrow(/division by zero/)
    const [row] = await db.admin`select name from orgs where id = ${a.org.id}`
    expect(row?.name).not.toBe('Never')
  })

  it('refuses a user id that is not a UUID before touching the database', async () => {
    await expect(withUser(db.app, "x' or 1=1 --", (tx) => tx`select 1`)).rejects.toThrow(TypeError)
  })
})

describe('asSystem', () => {
  it('sees across tenants for the length of one transaction only', async () => {
    const { a, b } = await twoTenants(db.admin)
    const all = await asSystem(db.app, 'org-saga', (tx) => tx`select id from projects`)
    const ids = all.map((row) => row.id)
    expect(ids).toEqual(expect.arrayContaining([a.project.id, b.project.id]))
    const after = await db.app`select current_user as role, count(*)::int as n from projects`
    expect(after[0]).toEqual({ role: 'tenantry_app', n: 0 })
  })

  it('records its purpose where triggers and pg_stat_activity can see it', async () => {
    const [row] = await asSystem(
      db.app,
      'invite-acceptance',
      (tx) => tx`select current_setting('app.system_purpose') as purpose, current_user as role`,
    )
    expect(row).toEqual({ purpose: 'invite-acceptance', role: 'tenantry_system' })
  })

  it('still cannot rewrite config history (append-only even for the system role)', async () => {
    await expect(
      asSystem(db.app, 'org-saga', (tx) => tx`delete from config_history`),
    ).rejects.toThrow(/permission denied/)
  })
})
