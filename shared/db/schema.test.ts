import type { Sql } from 'postgres'
import { describe, expect, it } from 'vitest'
import { createTestDatabase, useTestDatabase } from '#test/harness/database.ts'
import {
  createOrg,
  createProject,
  createUser,
  type ProjectRow,
  type UserRow,
} from '#test/harness/fixtures.ts'
import { connect } from './client.ts'
import { withUser } from './tenant.ts'

/** The schema's own guarantees: constraints that hold whoever writes, and the seed. */

const db = useTestDatabase()

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'succeeded',
    (error: { code?: string; constraint_name?: string }) =>
      `${error.code}${error.constraint_name ? ` ${error.constraint_name}` : ''}`,
  )

describe('names of orgs and projects', () => {
  it.each([
    ['empty', ''],
    ['untrimmed', ' Acme'],
    ['trailing space', 'Acme '],
    ['101 characters', 'x'.repeat(101)],
    ['a newline', 'Ac\nme'],
    ['a tab', 'Ac\tme'],
    ['a C1 control', 'Ac\u0085me'],
  ])('refuses a name with %s', async (_label, name) => {
    const owner = await createUser(db.admin)
    expect(await code(createOrg(db.admin, owner, name))).toBe('23514 entity_name_check')
  })

  it('accepts 1 and 100 characters, and non-ASCII letters', async () => {
    const owner = await createUser(db.admin)
    for (const name of ['A', 'y'.repeat(100), 'Zürich Ærø 東京']) {
      expect(await code(createOrg(db.admin, owner, name))).toBe('succeeded')
    }
  })

  it('keeps project names unique per org, not across orgs', async () => {
    const owner = await createUser(db.admin)
    const [one, two] = [await createOrg(db.admin, owner), await createOrg(db.admin, owner)]
    await createProject(db.admin, one, 'Website')
    expect(await code(createProject(db.admin, one, 'Website'))).toBe(
      '23505 projects_org_id_name_key',
    )
    expect(await code(createProject(db.admin, two, 'Website'))).toBe('succeeded')
  })

  it('limits a project description to 1000 characters', async () => {
    const owner = await createUser(db.admin)
    const org = await createOrg(db.admin, owner)
    const insert = (description: string) =>
      db.admin`insert into projects (org_id, name, description)
               values (${org.id}, ${`D${description.length}`}, ${description})`
    expect(await code(insert('d'.repeat(1000)))).toBe('succeeded')
    expect(await code(insert('d'.repeat(1001)))).toBe('23514 projects_description_check')
  })
})

describe('users, memberships and chats', () => {
  it('keeps guest handles unique and of the form guest-NNNN', async () => {
    const insert = (handle: string) => db.admin`insert into users (handle) values (${handle})`
    expect(await code(insert('guest-4242'))).toBe('succeeded')
    expect(await code(insert('guest-4242'))).toBe('23505 users_handle_key')
    for (const bad of ['guest-', 'guest-12a4', 'alice', 'guest-123', 'Guest-1234']) {
      expect(await code(insert(bad)), bad).toBe('23514 users_handle_check')
    }
  })

  it('allows only owner, admin and member as roles', async () => {
    const owner = await createUser(db.admin)
    const org = await createOrg(db.admin, owner)
    const other = await createUser(db.admin)
    const insert = (role: string) =>
      db.admin`insert into memberships (org_id, user_id, role) values (${org.id}, ${other.id}, ${role})`
    expect(await code(insert('superadmin'))).toBe('23514 memberships_role_check')
    expect(await code(insert('admin'))).toBe('succeeded')
  })

  it('allows only active, closed and expired as chat statuses', async () => {
    const { user, project } = await memberWithProject(db.admin)
    const insert = (status: string) => db.admin`
      insert into chat_sessions (user_id, project_id, status, expires_at)
      values (${user.id}, ${project.id}, ${status}, now() + interval '1 hour')`
    expect(await code(insert('archived'))).toBe('23514 chat_sessions_status_check')
    expect(await code(insert('closed'))).toBe('succeeded')
  })

  it('stores every timestamp with its time zone', async () => {
    const rows = await db.admin`
      select table_name, column_name from information_schema.columns
       where table_schema = 'public' and data_type = 'timestamp without time zone'`
    expect(rows).toEqual([])
  })
})

async function memberWithProject(admin: Sql): Promise<{ user: UserRow; project: ProjectRow }> {
  const user = await createUser(admin)
  const org = await createOrg(admin, user)
  return { user, project: await createProject(admin, org) }
}

const openChat = (app: Sql, user: UserRow, project: ProjectRow) =>
  withUser(
    app,
    user.id,
    (tx) => tx`
    insert into chat_sessions (user_id, project_id, expires_at)
    values (${user.id}, ${project.id}, now() + interval '30 minutes')
    returning id`,
  )

describe('at most N active chats per user and project', () => {
  it('refuses the 4th active chat with the chat_sessions_active_limit constraint', async () => {
    const { user, project } = await memberWithProject(db.admin)
    for (let i = 0; i < 3; i++)
      expect(await code(openChat(db.app, user, project))).toBe('succeeded')
    expect(await code(openChat(db.app, user, project))).toBe('23514 chat_sessions_active_limit')
  })

  it('counts per project and per user', async () => {
    const { user, project } = await memberWithProject(db.admin)
    const other = await createProject(db.admin, { id: project.org_id, name: '' })
    for (let i = 0; i < 3; i++) await openChat(db.app, user, project)
    expect(await code(openChat(db.app, user, other))).toBe('succeeded')
  })

  it('frees a slot when a chat is closed, and does not count expired chats', async () => {
    const { user, project } = await memberWithProject(db.admin)
    const chats: string[] = []
    for (let i = 0; i < 3; i++) chats.push(String((await openChat(db.app, user, project))[0]?.id))
    await db.admin`update chat_sessions set status = 'closed' where id = ${chats[0] as string}`
    expect(await code(openChat(db.app, user, project))).toBe('succeeded')
    await db.admin`update chat_sessions set created_at = now() - interval '2 hours',
                   expires_at = now() - interval '1 hour' where id = ${chats[1] as string}`
    expect(await code(openChat(db.app, user, project))).toBe('succeeded')
    expect(await code(openChat(db.app, user, project))).toBe('23514 chat_sessions_active_limit')
  })

  it('refuses reactivating a closed chat past the limit', async () => {
    const { user, project } = await memberWithProject(db.admin)
    const chats: string[] = []
    for (let i = 0; i < 3; i++) chats.push(String((await openChat(db.app, user, project))[0]?.id))
    await db.admin`update chat_sessions set status = 'closed' where id = ${chats[0] as string}`
    await openChat(db.app, user, project)
    const reopen = withUser(
      db.app,
      user.id,
      (tx) => tx`update chat_sessions set status = 'active' where id = ${chats[0] as string}`,
    )
    expect(await code(reopen)).toBe('23514 chat_sessions_active_limit')
  })

  it('holds under 12 concurrent inserts on 12 connections: exactly 3 win', async () => {
    const { user, project } = await memberWithProject(db.admin)
    const wide = connect(db.url('tenantry_app'), { max: 12 })
    try {
      // Warm every connection first so the inserts really start together.
      await Promise.all(Array.from({ length: 12 }, () => wide`select pg_sleep(0.02)`))
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, () => code(openChat(wide, user, project))),
      )
      expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(3)
      expect(outcomes.filter((o) => o === '23514 chat_sessions_active_limit')).toHaveLength(9)
      const [row] = await db.admin`
        select count(*)::int as n from chat_sessions
         where user_id = ${user.id} and project_id = ${project.id} and status = 'active'`
      expect(row?.n).toBe(3)
    } finally {
      await wide.end()
    }
  })

  it('takes N from the chat config', async () => {
    // Its own database: changing the shared config would race the other tests here.
    const own = await createTestDatabase()
    try {
      await own.admin`update service_configs
        set data = jsonb_set(data, '{max_active_chats_per_user_per_project}', '5'), version = 2
        where service = 'chat'`
      const { user, project } = await memberWithProject(own.admin)
      for (let i = 0; i < 5; i++)
        expect(await code(openChat(own.app, user, project))).toBe('succeeded')
      expect(await code(openChat(own.app, user, project))).toBe('23514 chat_sessions_active_limit')
    } finally {
      await own.drop()
    }
  })
})

describe('config', () => {
  it('seeds every service at version 1 with its defaults, and its history', async () => {
    const configs =
      await db.app`select service, version, data from service_configs order by service`
    expect(configs.map((c) => [c.service, c.version])).toEqual([
      ['auth', 1],
      ['chat', 1],
      ['features', 1],
      ['projects', 1],
      ['ratelimits', 1],
    ])
    const data = Object.fromEntries(configs.map((c) => [c.service, c.data]))
    expect(data.chat.max_active_chats_per_user_per_project).toBe(3)
    expect(data.chat.idle_timeout_seconds).toBe(1800)
    expect(data.chat.actions.map((a: { id: string }) => a.id)).toEqual(
      expect.arrayContaining(['help', 'ping', 'time', 'roll-dice']),
    )
    expect(data.ratelimits).toEqual({
      guest_signin: { limit: 30, window_seconds: 60 },
      authenticated: { limit: 600, window_seconds: 60 },
    })
    expect(data.projects).toEqual({ max_projects_per_org: 100 })
    expect(data.auth).toEqual({ access_token_ttl_seconds: 900, refresh_token_ttl_seconds: 2592000 })
    expect(data.features).toEqual({ flags: {} })
    const history = await db.app`select service, version from config_history where version = 1`
    expect(history).toHaveLength(5)
  })

  it('keeps config_history append-only for the app role', async () => {
    expect(await code(db.app`update config_history set data = '{}'`)).toBe('42501')
    expect(await code(db.app`delete from config_history`)).toBe('42501')
    expect(await code(db.app`truncate config_history`)).toBe('42501')
    const [row] = await db.app`
      insert into config_history (service, version, data, updated_by)
      values ('features', 2, '{"flags":{}}', 'test') returning version`
    expect(row?.version).toBe(2)
  })

  it('keeps the audit log append-only for the app role', async () => {
    expect(await code(db.app`update audit_log set action = 'x'`)).toBe('42501')
    expect(await code(db.app`delete from audit_log`)).toBe('42501')
  })
})
