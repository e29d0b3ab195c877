import { randomBytes, randomUUID } from 'node:crypto'
import type { Row, Sql } from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useTestDatabase } from '#test/harness/database.ts'
import { addMember, createChat, createUser, twoTenants } from '#test/harness/fixtures.ts'
import { type PgBouncer, startPgBouncer } from '#test/harness/pgbouncer.ts'
import { connect } from './client.ts'
import { withUser } from './tenant.ts'

/**
 * Tenant isolation through the tenant helper as the functions' role: every tenant table,
 * then a long interleaving of two users on a tiny pool, directly and through PgBouncer
 * in transaction mode. (The pgTAP suite in test/pgtap proves the same from inside SQL.)
 */

const db = useTestDatabase({ appPool: 2 })
const RLS_VIOLATION = /row-level security/

type World = Awaited<ReturnType<typeof seedWorld>>

/** Two tenants with a row in every tenant table. Written as the superuser. */
async function seedWorld(admin: Sql) {
  const { a, b } = await twoTenants(admin)
  const rows = async (t: typeof a) => {
    const chat = await createChat(admin, t.user, t.project)
    const [invite] = await admin<{ id: string }[]>`
      insert into invites (org_id, code_hash, created_by, expires_at)
      values (${t.org.id}, ${randomBytes(32)}, ${t.user.id}, now() + interval '7 days')
      returning id`
    const [token] = await admin<{ id: string }[]>`
      insert into refresh_tokens (user_id, family_id, token_hash, expires_at)
      values (${t.user.id}, ${randomUUID()}, ${randomBytes(32)}, now() + interval '30 days')
      returning id`
    const [saga] = await admin<{ id: string }[]>`
      insert into org_sagas (org_id, started_by, status) values (${t.org.id}, ${t.user.id}, 'committed')
      returning id`
    const [step] = await admin<{ id: string }[]>`
      insert into org_saga_steps (saga_id, step, phase, outcome)
      values (${saga?.id ?? ''}, 'create-org', 'apply', 'succeeded')
      returning id::text`
    const [audit] = await admin<{ id: string }[]>`
      insert into audit_log (org_id, actor, action) values (${t.org.id}, ${`user:${t.user.id}`}, 'org.create')
      returning id::text`
    await admin`
      insert into idempotency_keys (user_id, key, request_hash, expires_at)
      values (${t.user.id}, 'create-org-1', ${randomBytes(32)}, now() + interval '1 day')`
    return {
      ...t,
      chat,
      invite: invite as { id: string },
      token: token as { id: string },
      saga: saga as { id: string },
      step: step as { id: string },
      audit: audit as { id: string },
    }
  }
  return { a: await rows(a), b: await rows(b) }
}

/** How to find "the tenant's row" of each table, and how a stranger might touch it. */
interface TableCase {
  table: string
  /** Selects the ids of this tenant's row in that table. */
  select: (tx: Sql, t: World['a']) => Promise<unknown[]>
  /** An UPDATE of the tenant's row; returns affected row count. */
  update?: (tx: Sql, t: World['a']) => Promise<number>
  /** A DELETE of the tenant's row; returns affected row count. */
  remove?: (tx: Sql, t: World['a']) => Promise<number>
  /** An INSERT of a new row into the tenant, made by a stranger: must be refused. */
  insertInto?: (tx: Sql, t: World['a'], stranger: World['a']) => Promise<unknown>
}

const ids = (rows: readonly Row[]) => rows.map((row) => String(row.id))
const count = (result: { count: number }) => result.count

const TABLES: TableCase[] = [
  {
    table: 'users',
    select: async (tx, t) => ids(await tx`select id from users where id = ${t.user.id}`),
    insertInto: (tx) => tx`insert into users (handle) values ('guest-99999999')`,
  },
  {
    table: 'refresh_tokens',
    select: async (tx, t) => ids(await tx`select id from refresh_tokens where id = ${t.token.id}`),
    update: async (tx, t) =>
      count(await tx`update refresh_tokens set revoked_at = now() where id = ${t.token.id}`),
    remove: async (tx, t) => count(await tx`delete from refresh_tokens where id = ${t.token.id}`),
    insertInto: (tx, t) => tx`
      insert into refresh_tokens (user_id, family_id, token_hash, expires_at)
      values (${t.user.id}, ${randomUUID()}, ${randomBytes(32)}, now() + interval '1 day')`,
  },
  {
    table: 'orgs',
    select: async (tx, t) => ids(await tx`select id from orgs where id = ${t.org.id}`),
    update: async (tx, t) =>
      count(await tx`update orgs set name = 'Taken over' where id = ${t.org.id}`),
    remove: async (tx, t) => count(await tx`delete from orgs where id = ${t.org.id}`),
    insertInto: (tx, _t, s) =>
      tx`insert into orgs (name, status, created_by) values ('Sneaky', 'committed', ${s.user.id})`,
  },
  {
    table: 'memberships',
    select: async (tx, t) =>
      ids(await tx`select user_id as id from memberships where org_id = ${t.org.id}`),
    update: async (tx, t) =>
      count(await tx`update memberships set role = 'member' where org_id = ${t.org.id}`),
    remove: async (tx, t) => count(await tx`delete from memberships where org_id = ${t.org.id}`),
    insertInto: (tx, t, s) =>
      tx`insert into memberships (org_id, user_id, role) values (${t.org.id}, ${s.user.id}, 'owner')`,
  },
  {
    table: 'invites',
    select: async (tx, t) => ids(await tx`select id from invites where id = ${t.invite.id}`),
    update: async (tx, t) =>
      count(await tx`update invites set role = 'admin' where id = ${t.invite.id}`),
    remove: async (tx, t) => count(await tx`delete from invites where id = ${t.invite.id}`),
    insertInto: (tx, t, s) => tx`
      insert into invites (org_id, code_hash, created_by, expires_at)
      values (${t.org.id}, ${randomBytes(32)}, ${s.user.id}, now() + interval '1 day')`,
  },
  {
    table: 'projects',
    select: async (tx, t) => ids(await tx`select id from projects where id = ${t.project.id}`),
    update: async (tx, t) =>
      count(await tx`update projects set description = 'defaced' where id = ${t.project.id}`),
    remove: async (tx, t) => count(await tx`delete from projects where id = ${t.project.id}`),
    insertInto: (tx, t) => tx`insert into projects (org_id, name) values (${t.org.id}, 'Planted')`,
  },
  {
    table: 'chat_sessions',
    select: async (tx, t) => ids(await tx`select id from chat_sessions where id = ${t.chat.id}`),
    update: async (tx, t) =>
      count(await tx`update chat_sessions set status = 'closed' where id = ${t.chat.id}`),
    remove: async (tx, t) => count(await tx`delete from chat_sessions where id = ${t.chat.id}`),
    insertInto: (tx, t, s) => tx`
      insert into chat_sessions (user_id, project_id, expires_at)
      values (${s.user.id}, ${t.project.id}, now() + interval '30 minutes')`,
  },
  {
    table: 'org_sagas',
    select: async (tx, t) => ids(await tx`select id from org_sagas where id = ${t.saga.id}`),
    update: async (tx, t) =>
      count(await tx`update org_sagas set status = 'failed' where id = ${t.saga.id}`),
    remove: async (tx, t) => count(await tx`delete from org_sagas where id = ${t.saga.id}`),
    insertInto: (tx, t) =>
      tx`insert into org_sagas (org_id, started_by) values (${t.org.id}, ${t.user.id})`,
  },
  {
    table: 'org_saga_steps',
    select: async (tx, t) =>
      ids(await tx`select id::text from org_saga_steps where id = ${t.step.id}`),
    insertInto: (tx, t) => tx`
      insert into org_saga_steps (saga_id, step, phase, outcome)
      values (${t.saga.id}, 'forged', 'apply', 'succeeded')`,
  },
  {
    table: 'audit_log',
    select: async (tx, t) => ids(await tx`select id::text from audit_log where id = ${t.audit.id}`),
    insertInto: (tx, t, s) => tx`
      insert into audit_log (org_id, actor, action) values (${t.org.id}, ${`user:${s.user.id}`}, 'forged')`,
  },
  {
    table: 'idempotency_keys',
    select: async (tx, t) =>
      (await tx`select key from idempotency_keys where user_id = ${t.user.id}`).map((r) => r.key),
    update: async (tx, t) =>
      count(
        await tx`update idempotency_keys set status = 'completed' where user_id = ${t.user.id}`,
      ),
    remove: async (tx, t) =>
      count(await tx`delete from idempotency_keys where user_id = ${t.user.id}`),
    insertInto: (tx, t) => tx`
      insert into idempotency_keys (user_id, key, request_hash, expires_at)
      values (${t.user.id}, 'planted', ${randomBytes(32)}, now() + interval '1 day')`,
  },
]

describe('tenant isolation, table by table', () => {
  let world: World
  beforeAll(async () => {
    world = await seedWorld(db.admin)
  })

  describe.each(TABLES)('$table', (c) => {
    it('shows the tenant its own row', async () => {
      const seen = await withUser(db.app, world.a.user.id, (tx) => c.select(tx, world.a))
      expect(seen, `${c.table} as its tenant`).toHaveLength(1)
    })

    it('shows another tenant nothing of it', async () => {
      const seen = await withUser(db.app, world.b.user.id, (tx) => c.select(tx, world.a))
      expect(seen, `${c.table} as a stranger: ${JSON.stringify(seen)}`).toHaveLength(0)
    })

    it('shows nothing without a tenant context', async () => {
      const seen = await c.select(db.app, world.a)
      expect(seen, `${c.table} without context: ${JSON.stringify(seen)}`).toHaveLength(0)
      const [all] = await db.app.unsafe(`select count(*)::int as n from ${c.table}`)
      expect(all?.n, `${c.table} without context`).toBe(0)
    })

    it('refuses a stranger writing into the tenant', async () => {
      const b = world.b
      // UPDATE and DELETE find no row to touch (or the role may not write at all).
      for (const write of [c.update, c.remove]) {
        if (!write) continue
        const touched = await withUser(db.app, b.user.id, (tx) => write(tx, world.a)).catch(
          (error: Error) => (/permission denied/.test(error.message) ? 0 : Promise.reject(error)),
        )
        expect(touched, `${c.table}: rows a stranger touched`).toBe(0)
      }
      if (c.insertInto) {
        await expect(
          withUser(db.app, b.user.id, (tx) => c.insertInto?.(tx, world.a, b)),
        ).rejects.toThrow(
          c.table === 'users' ? RLS_VIOLATION : /row-level security|permission denied/,
        )
      }
      // …and the tenant still sees its row as it was.
      const seen = await withUser(db.app, world.a.user.id, (tx) => c.select(tx, world.a))
      expect(seen, `${c.table} after the stranger's attempts`).toHaveLength(1)
    })
  })

  it('lets a member of the org see its rows but not another org’s', async () => {
    const member = await createUser(db.admin)
    await addMember(db.admin, world.a.org, member, 'member')
    const [projects, orgs, peers] = await withUser(db.app, member.id, (tx) => [
      tx`select id from projects`,
      tx`select id from orgs`,
      tx`select id from users`,
    ])
    expect(ids(projects)).toEqual([world.a.project.id])
    expect(ids(orgs)).toEqual([world.a.org.id])
    expect(ids(peers).sort()).toEqual([member.id, world.a.user.id].sort())
  })

  it('keeps a member from doing what only admins may', async () => {
    const member = await createUser(db.admin)
    await addMember(db.admin, world.a.org, member, 'member')
    const renamed = await withUser(
      db.app,
      member.id,
      (tx) => tx`update orgs set name = 'Mine now' where id = ${world.a.org.id}`,
    )
    expect(renamed.count).toBe(0)
    await expect(
      withUser(
        db.app,
        member.id,
        (tx) => tx`insert into projects (org_id, name) values (${world.a.org.id}, 'By a member')`,
      ),
    ).rejects.toThrow(RLS_VIOLATION)
  })

  it('refuses moving a row out of the tenant into another', async () => {
    await expect(
      withUser(
        db.app,
        world.a.user.id,
        (tx) => tx`update projects set org_id = ${world.b.org.id} where id = ${world.a.project.id}`,
      ),
    ).rejects.toThrow(RLS_VIOLATION)
  })
})

/**
 * Two users, 1,000 operations interleaved on a pool of 2 connections, so the same
 * connections carry both tenants back to back. Every row any operation returns must
 * belong to the caller's tenant.
 */
async function interleave(pool: Sql, admin: Sql, operations = 1000) {
  const { a, b } = await twoTenants(admin)
  const tenants = [a, b]
  const orgOf = new Map<string, string>()
  for (const t of tenants) {
    for (let i = 0; i < 5; i++) {
      await admin`insert into projects (org_id, name) values (${t.org.id}, ${`P${i}`})`
    }
    orgOf.set(t.user.id, t.org.id)
  }
  const leaks: string[] = []
  let rowsSeen = 0
  const check = (userId: string, rows: { org_id?: string; user_id?: string }[]) => {
    rowsSeen += rows.length
    for (const row of rows) {
      const foreign =
        (row.org_id !== undefined && row.org_id !== orgOf.get(userId)) ||
        (row.user_id !== undefined && row.user_id !== userId)
      if (foreign) leaks.push(`${userId} saw ${JSON.stringify(row)}`)
    }
  }
  const operation = async (i: number) => {
    const t = tenants[i % 2] as typeof a
    const kind = Math.floor(i / 2) % 4
    if (kind === 0) {
      check(t.user.id, await withUser(pool, t.user.id, (tx) => tx`select id, org_id from projects`))
    } else if (kind === 1) {
      check(
        t.user.id,
        await withUser(pool, t.user.id, (tx) => tx`select org_id, user_id from memberships`),
      )
    } else if (kind === 2) {
      const rows = await withUser(pool, t.user.id, async (tx) => {
        await tx`update projects set description = ${`touched ${i}`} where org_id = ${t.org.id}`
        return tx`select id, org_id from projects where description = ${`touched ${i}`}`
      })
      check(t.user.id, rows)
    } else {
      const [orgs, counted] = await withUser(pool, t.user.id, (tx) => [
        tx`select id as org_id from orgs`,
        tx`select count(*)::int as n from projects`,
      ])
      check(t.user.id, orgs)
      if (counted[0]?.n !== 6) leaks.push(`${t.user.id} counted ${counted[0]?.n} projects, owns 6`)
    }
  }
  // Up to 16 operations in flight on 2 connections, alternating users.
  const queue = Array.from({ length: operations }, (_, i) => i)
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) await operation(i)
    }),
  )
  return { leaks, rowsSeen }
}

describe('interleaved tenants on a shared pool', () => {
  it('returns zero rows of the other tenant in 1,000 operations on 2 connections', async () => {
    const { leaks, rowsSeen } = await interleave(db.app, db.admin)
    expect(leaks, leaks.slice(0, 5).join('\n')).toEqual([])
    expect(rowsSeen).toBeGreaterThan(1000)
  })

  describe('through PgBouncer in transaction mode', () => {
    let bouncer: PgBouncer
    let pool: Sql
    beforeAll(async () => {
      bouncer = await startPgBouncer(db.url('tenantry_app'), 2)
      // More client connections than server connections: transactions of both users
      // are multiplexed over the same two server sessions.
      pool = connect(bouncer.url, { max: 6, prepare: false })
    })
    afterAll(async () => {
      await pool?.end()
      await bouncer?.stop()
    })

    it('really multiplexes clients over fewer server connections', async () => {
      const backends = await Promise.all(
        Array.from({ length: 12 }, () =>
          withUser(pool, randomUUID(), (tx) => tx`select pg_backend_pid() as pid, pg_sleep(0.05)`),
        ),
      )
      const pids = new Set(backends.map((rows) => rows[0]?.pid))
      expect(pids.size).toBeLessThanOrEqual(2)
    })

    it('returns zero rows of the other tenant in 1,000 operations', async () => {
      const { leaks, rowsSeen } = await interleave(pool, db.admin)
      expect(leaks, leaks.slice(0, 5).join('\n')).toEqual([])
      expect(rowsSeen).toBeGreaterThan(1000)
    })

    it('leaves no tenant context behind on a server connection', async () => {
      const { a } = await twoTenants(db.admin)
      await Promise.all(
        Array.from({ length: 20 }, () => withUser(pool, a.user.id, (tx) => tx`select 1`)),
      )
      const after = await Promise.all(
        Array.from({ length: 20 }, () => pool`select count(*)::int as n from projects`),
      )
      expect(after.map((rows) => rows[0]?.n)).toEqual(Array(20).fill(0))
    })
  })
})
