import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestKit } from '#test/harness/app.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import {
  addMember,
  createChat,
  createOrg,
  createProject,
  createUser,
} from '#test/harness/fixtures.ts'
import { chat as chatFunction } from './function.ts'

/** The chat function's REST routes (API.md "chat") on a real database. */

const db = useTestDatabase()
const kit = useTestKit()
const call = kit.call

const chatApp = async () => kit.build(chatFunction, { db: db.app })

/** A project with two plain members of its org, and an outsider. */
async function world() {
  const owner = await createUser(db.admin)
  const member = await createUser(db.admin)
  const other = await createUser(db.admin)
  const outsider = await createUser(db.admin)
  const org = await createOrg(db.admin, owner)
  await addMember(db.admin, org, member, 'member')
  await addMember(db.admin, org, other, 'member')
  await createOrg(db.admin, outsider)
  const project = await createProject(db.admin, org)
  return { owner, member, other, outsider, org, project }
}

/** The chat config as committed in SQL, changed by `change` (the limit trigger reads SQL). */
async function commitChatConfig(change: (data: Record<string, unknown>) => void) {
  const [row] = await db.admin<{ data: Record<string, unknown> }[]>`
    select data from service_configs where service = 'chat'`
  const data = structuredClone(row?.data as Record<string, unknown>)
  change(data)
  await db.admin`update service_configs set version = version + 1, data = ${db.admin.json(data as never)}
                 where service = 'chat'`
}

describe('the catalog', () => {
  it('lists the config’s actions for any user, and shows a change at once', async () => {
    const { app, config } = await chatApp()
    const w = await world()
    const res = await call(app, 'GET', '/v1/chat/actions', { as: w.outsider })
    expect(res.status).toBe(200)
    expect(res.body.items.map((a: { id: string }) => a.id)).toEqual([
      'help',
      'ping',
      'time',
      'roll-dice',
    ])
    expect(res.body.items[3].args.count).toEqual({
      type: 'integer',
      minimum: 1,
      maximum: 10,
      default: 1,
    })
    const current = config.get('chat')
    config.apply('chat', 99, {
      ...current,
      actions: current.actions.map((a) => (a.id === 'ping' ? { ...a, label: 'Ping!' } : a)),
    })
    const changed = await call(app, 'GET', '/v1/chat/actions', { as: w.outsider })
    expect(changed.body.items[1].label).toBe('Ping!')
  })

  it('refuses machine tokens and no token', async () => {
    const { app } = await chatApp()
    expect((await call(app, 'GET', '/v1/chat/actions')).status).toBe(401)
    const machine = await kit.auth.clientBearer('ops', ['config:read'])
    expect((await call(app, 'GET', '/v1/chat/actions', { authorization: machine })).status).toBe(
      403,
    )
  })
})

describe('opening chats', () => {
  it('opens one for a member, with its expiry from the idle timeout', async () => {
    const { app } = await chatApp()
    const w = await world()
    const res = await call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.member })
    expect(res.status, res.text).toBe(201)
    expect(Object.keys(res.body).sort()).toEqual([
      'created_at',
      'expires_at',
      'id',
      'project_id',
      'status',
    ])
    expect(res.body).toMatchObject({ project_id: w.project.id, status: 'active' })
    const lifetime = Date.parse(res.body.expires_at) - Date.parse(res.body.created_at)
    expect(lifetime).toBe(1_800_000)
    expect(res.headers.get('location')).toBe(`/v1/chats/${res.body.id}`)
  })

  it('answers 404 PROJECT_NOT_FOUND outside the org, for an unknown project and a bad id', async () => {
    const { app } = await chatApp()
    const w = await world()
    for (const path of [w.project.id, randomUUID(), 'not-an-id']) {
      const res = await call(app, 'POST', `/v1/projects/${path}/chats`, { as: w.outsider })
      expect(res.status).toBe(404)
      expect(res.body.code).toBe('PROJECT_NOT_FOUND')
    }
  })

  it('lets exactly 3 of 8 concurrent opens win, then frees a slot on close', async () => {
    const { app } = await chatApp()
    const w = await world()
    const opens = await Promise.all(
      Array.from({ length: 8 }, () =>
        call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.member }),
      ),
    )
    const statuses = opens.map((res) => res.status).sort()
    expect(statuses).toEqual([201, 201, 201, 409, 409, 409, 409, 409])
    const refused = opens.find((res) => res.status === 409)
    expect(refused?.body.code).toBe('CHAT_LIMIT_REACHED')
    // The limit is per user: another member still opens theirs.
    expect(
      (await call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.other })).status,
    ).toBe(201)
    const won = opens.find((res) => res.status === 201)
    expect((await call(app, 'DELETE', `/v1/chats/${won?.body.id}`, { as: w.member })).status).toBe(
      204,
    )
    expect(
      (await call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.member })).status,
    ).toBe(201)
  })

  it('takes its limit from the chat config committed in SQL, at once', async () => {
    const { app } = await chatApp()
    const w = await world()
    try {
      await commitChatConfig((data) => {
        data.max_active_chats_per_user_per_project = 1
      })
      expect(
        (await call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.member })).status,
      ).toBe(201)
      expect(
        (await call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.member })).status,
      ).toBe(409)
    } finally {
      await commitChatConfig((data) => {
        data.max_active_chats_per_user_per_project = 3
      })
    }
  })
})

describe('a user’s chats', () => {
  it('lists the caller’s own chats only, an expired one as expired', async () => {
    const { app } = await chatApp()
    const w = await world()
    const mine = await call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.member })
    await call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.other })
    const stale = await createChat(db.admin, w.member, w.project)
    await db.admin`update chat_sessions set created_at = now() - interval '2 hours',
                     expires_at = now() - interval '1 hour' where id = ${stale.id}`
    const res = await call(app, 'GET', `/v1/projects/${w.project.id}/chats`, { as: w.member })
    expect(res.status).toBe(200)
    expect(res.body.items.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([
      [stale.id, 'expired'],
      [mine.body.id, 'active'],
    ])
    expect(res.body.next_cursor).toBeNull()
    const outsider = await call(app, 'GET', `/v1/projects/${w.project.id}/chats`, {
      as: w.outsider,
    })
    expect(outsider.body.code).toBe('PROJECT_NOT_FOUND')
  })

  it('gives another member of the same org 404 CHAT_NOT_FOUND for every chat route', async () => {
    const { app } = await chatApp()
    const w = await world()
    const chat = await call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.member })
    const id = chat.body.id as string
    for (const [method, path, body] of [
      ['DELETE', `/v1/chats/${id}`, undefined],
      ['POST', `/v1/chats/${id}/tickets`, undefined],
      ['POST', `/v1/chats/${id}/actions`, { action: 'ping' }],
      ['GET', `/v1/chats/${id}/events`, undefined],
    ] as const) {
      const res = await call(app, method, path, { as: w.other, ...(body ? { body } : {}) })
      expect([method, path, res.status, res.body.code]).toEqual([
        method,
        path,
        404,
        'CHAT_NOT_FOUND',
      ])
    }
    // And the chat is untouched: still active for its user.
    const list = await call(app, 'GET', `/v1/projects/${w.project.id}/chats`, { as: w.member })
    expect(list.body.items[0].status).toBe('active')
  })

  it('closes a chat with 204, again with 204, and then it takes no actions or tickets', async () => {
    const { app } = await chatApp()
    const w = await world()
    const chat = await call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.member })
    const id = chat.body.id as string
    expect((await call(app, 'DELETE', `/v1/chats/${id}`, { as: w.member })).status).toBe(204)
    expect((await call(app, 'DELETE', `/v1/chats/${id}`, { as: w.member })).status).toBe(204)
    const action = await call(app, 'POST', `/v1/chats/${id}/actions`, {
      as: w.member,
      body: { action: 'ping' },
    })
    expect(action.body.code).toBe('CHAT_NOT_FOUND')
    const ticket = await call(app, 'POST', `/v1/chats/${id}/tickets`, { as: w.member })
    expect(ticket.body.code).toBe('CHAT_NOT_FOUND')
    expect((await call(app, 'DELETE', `/v1/chats/${randomUUID()}`, { as: w.member })).status).toBe(
      404,
    )
  })
})

describe('tickets and actions', () => {
  it('issues a one-time ticket of 30 s, not to be cached', async () => {
    const { app } = await chatApp()
    const w = await world()
    const chat = await call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.member })
    const res = await call(app, 'POST', `/v1/chats/${chat.body.id}/tickets`, { as: w.member })
    expect(res.status).toBe(201)
    expect(res.body.expires_in).toBe(30)
    expect(res.body.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('accepts a catalog action with 202 and slides the chat’s expiry', async () => {
    const { app } = await chatApp()
    const w = await world()
    const chat = await call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.member })
    await db.admin`update chat_sessions set expires_at = now() + interval '1 minute' where id = ${chat.body.id}`
    const res = await call(app, 'POST', `/v1/chats/${chat.body.id}/actions`, {
      as: w.member,
      body: { action: 'roll-dice', args: { count: 3, sides: 20 } },
    })
    expect(res.status, res.text).toBe(202)
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/)
    const [row] = await db.admin<{ left: number }[]>`
      select extract(epoch from expires_at - now())::int as left from chat_sessions where id = ${chat.body.id}`
    expect(row?.left).toBeGreaterThan(1_700)
  })

  it('refuses an action not in the catalog, arguments out of bounds or unknown, with 400', async () => {
    const { app } = await chatApp()
    const w = await world()
    const chat = await call(app, 'POST', `/v1/projects/${w.project.id}/chats`, { as: w.member })
    for (const body of [
      { action: 'dance' },
      { action: 'roll-dice', args: { count: 11 } },
      { action: 'roll-dice', args: { sides: 1 } },
      { action: 'roll-dice', args: { count: 1.5 } },
      { action: 'roll-dice', args: { colour: 1 } },
      { action: 'ping', args: { count: 1 } },
    ]) {
      const res = await call(app, 'POST', `/v1/chats/${chat.body.id}/actions`, {
        as: w.member,
        body,
      })
      expect([JSON.stringify(body), res.status, res.body.code]).toEqual([
        JSON.stringify(body),
        400,
        'VALIDATION_FAILED',
      ])
      expect(res.text).not.toContain('dance')
      expect(res.text).not.toContain('colour')
    }
  })
})
