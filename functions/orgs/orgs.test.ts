import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestKit } from '#test/harness/app.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import {
  createChat,
  createOrg,
  createProject,
  createUser,
  orgWithRoles,
} from '#test/harness/fixtures.ts'
import { orgs } from './function.ts'
import { FakeProvisioner } from './test-support.ts'

const kit = useTestKit()
const call = kit.call
const db = useTestDatabase()

const app = (provisioner = new FakeProvisioner()) =>
  kit.app(orgs, { db: db.app, with: { provisioner } })

const world = () => orgWithRoles(db.admin)

describe('orgs: create, read, list, rename, delete', () => {
  it('creates a committed org whose creator is its owner, then reads and lists it', async () => {
    const provisioner = new FakeProvisioner()
    const a = await app(provisioner)
    const user = await createUser(db.admin)
    const created = await call(a, 'POST', '/v1/orgs', { as: user, body: { name: '  Acme  ' } })
    expect(created.status, created.text).toBe(201)
    expect(Object.keys(created.body).sort()).toEqual(['created_at', 'id', 'name', 'role', 'status'])
    expect(created.body).toMatchObject({ name: 'Acme', status: 'committed', role: 'owner' })
    expect(created.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    expect(created.headers.get('location')).toBe(`/v1/orgs/${created.body.id}`)
    expect(provisioner.resources.has(created.body.id)).toBe(true)

    const [row] = await db.admin`select status, created_by from orgs where id = ${created.body.id}`
    expect(row).toEqual({ status: 'committed', created_by: user.id })
    const members =
      await db.admin`select user_id, role from memberships where org_id = ${created.body.id}`
    expect(members).toEqual([{ user_id: user.id, role: 'owner' }])

    const read = await call(a, 'GET', `/v1/orgs/${created.body.id}`, { as: user })
    expect(read.status, read.text).toBe(200)
    expect(read.body).toEqual(created.body)
    const list = await call(a, 'GET', '/v1/orgs', { as: user })
    expect(list.body).toEqual({ items: [created.body], next_cursor: null })
  })

  it('lists only the caller’s orgs, each with the caller’s role, paged without gaps', async () => {
    const a = await app()
    const w = await world()
    const extra = []
    for (let i = 0; i < 4; i++) extra.push(await createOrg(db.admin, w.admin))
    const seen: Array<{ id: string; role: string }> = []
    let cursor: string | null = null
    do {
      const q: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2'
      const page = await call(a, 'GET', `/v1/orgs${q}`, { as: w.admin })
      expect(page.status, page.text).toBe(200)
      expect(page.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...page.body.items)
      cursor = page.body.next_cursor
    } while (cursor)
    expect(seen.map((o) => o.id)).toEqual([w.org.id, ...extra.map((o) => o.id)])
    expect(seen.map((o) => o.role)).toEqual(['admin', 'owner', 'owner', 'owner', 'owner'])
    expect(seen.map((o) => o.id)).not.toContain(w.otherOrg.id)
    const bad = await call(a, 'GET', '/v1/orgs?cursor=abc.def', { as: w.admin })
    expect([bad.status, bad.body.code]).toEqual([400, 'INVALID_CURSOR'])
    for (const limit of ['0', '101', 'x']) {
      const res = await call(a, 'GET', `/v1/orgs?limit=${limit}`, { as: w.admin })
      expect([res.status, res.body.code], limit).toEqual([400, 'VALIDATION_FAILED'])
    }
  })

  it('lets admins rename, and ignores fields a client may not set', async () => {
    const a = await app()
    const w = await world()
    const renamed = await call(a, 'PATCH', `/v1/orgs/${w.org.id}`, {
      as: w.admin,
      body: {
        name: 'Renamed',
        status: 'failed',
        id: randomUUID(),
        created_by: w.outsider.id,
        role: 'owner',
      },
    })
    expect(renamed.status, renamed.text).toBe(200)
    expect(renamed.body).toMatchObject({
      id: w.org.id,
      name: 'Renamed',
      status: 'committed',
      role: 'admin',
    })
    const [row] = await db.admin`select name, status, created_by from orgs where id = ${w.org.id}`
    expect(row).toEqual({ name: 'Renamed', status: 'committed', created_by: w.owner.id })
    const created = await call(a, 'POST', '/v1/orgs', {
      as: w.member,
      body: {
        name: 'Mass',
        id: '00000000-0000-4000-8000-000000000000',
        status: 'failed',
        role: 'member',
        created_by: w.outsider.id,
      },
    })
    expect(created.status, created.text).toBe(201)
    expect(created.body).toMatchObject({ name: 'Mass', status: 'committed', role: 'owner' })
    expect(created.body.id).not.toBe('00000000-0000-4000-8000-000000000000')
    const [made] = await db.admin`select created_by from orgs where id = ${created.body.id}`
    expect(made?.created_by).toBe(w.member.id)
  })

  it('validates names without echoing them', async () => {
    const a = await app()
    const w = await world()
    for (const name of ['', '   ', 'x'.repeat(101), 'bad\u0007name', 'tab\tname', 42, null]) {
      const res = await call(a, 'POST', '/v1/orgs', { as: w.owner, body: { name } })
      expect([res.status, res.body.code], JSON.stringify(name)).toEqual([400, 'VALIDATION_FAILED'])
      expect(res.body.errors.map((e: { location: string }) => e.location)).toEqual(['body.name'])
      if (typeof name === 'string' && name.trim()) expect(res.text).not.toContain(name)
      const patch = await call(a, 'PATCH', `/v1/orgs/${w.org.id}`, { as: w.owner, body: { name } })
      expect(patch.status).toBe(400)
    }
    expect(
      (await call(a, 'POST', '/v1/orgs', { as: w.owner, body: { name: 'x'.repeat(100) } })).status,
    ).toBe(201)
    const missing = await call(a, 'POST', '/v1/orgs', { as: w.owner })
    expect([missing.status, missing.body.code]).toEqual([400, 'VALIDATION_FAILED'])
    const text = await a.request('/v1/orgs', {
      method: 'POST',
      headers: { authorization: await kit.auth.bearer(w.owner), 'content-type': 'text/plain' },
      body: 'name=x',
    })
    expect(text.status).toBe(415)
    const malformed = await a.request('/v1/orgs', {
      method: 'POST',
      headers: {
        authorization: await kit.auth.bearer(w.owner),
        'content-type': 'application/json',
      },
      body: '{"name":',
    })
    expect(malformed.status).toBe(400)
    expect(((await malformed.json()) as { code: string }).code).toBe('MALFORMED_JSON')
  })

  it('deletes an org for its owner only, with its projects, chats, invites and resources', async () => {
    const provisioner = new FakeProvisioner()
    const a = await app(provisioner)
    const w = await world()
    provisioner.resources.add(w.org.id)
    const project = await createProject(db.admin, w.org)
    await createChat(db.admin, w.member, project)
    for (const who of [w.admin, w.member]) {
      const res = await call(a, 'DELETE', `/v1/orgs/${w.org.id}`, { as: who })
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN'])
    }
    const denied = await call(a, 'PATCH', `/v1/orgs/${w.org.id}`, {
      as: w.member,
      body: { name: 'Nope' },
    })
    expect([denied.status, denied.body.code]).toEqual([403, 'FORBIDDEN'])
    const gone = await call(a, 'DELETE', `/v1/orgs/${w.org.id}`, { as: w.owner })
    expect(gone.status, gone.text).toBe(204)
    for (const table of ['orgs', 'memberships', 'projects']) {
      const column = table === 'orgs' ? 'id' : 'org_id'
      const [n] =
        await db.admin`select count(*)::int as n from ${db.admin(table)} where ${db.admin(column)} = ${w.org.id}`
      expect(n?.n, table).toBe(0)
    }
    const [chats] =
      await db.admin`select count(*)::int as n from chat_sessions where project_id = ${project.id}`
    expect(chats?.n).toBe(0)
    expect(provisioner.resources.has(w.org.id)).toBe(false)
    expect((await call(a, 'GET', `/v1/orgs/${w.org.id}`, { as: w.owner })).status).toBe(404)
  })

  it('keeps the org when its resources cannot be removed: 503, and a retry works', async () => {
    const provisioner = new FakeProvisioner()
    const a = await app(provisioner)
    const w = await world()
    provisioner.resources.add(w.org.id)
    provisioner.fail = 'deprovision'
    const failed = await call(a, 'DELETE', `/v1/orgs/${w.org.id}`, { as: w.owner })
    expect([failed.status, failed.body.code]).toEqual([503, 'UNAVAILABLE'])
    expect(failed.headers.get('retry-after')).toBe('5')
    const [still] =
      await db.admin`select count(*)::int as n from memberships where org_id = ${w.org.id}`
    expect(still?.n).toBe(3)
    provisioner.fail = null
    expect((await call(a, 'DELETE', `/v1/orgs/${w.org.id}`, { as: w.owner })).status).toBe(204)
  })
})

describe('orgs isolation', () => {
  it('answers another tenant exactly as for a random id, and changes nothing', async () => {
    const a = await app()
    const w = await world()
    const requests: Array<[string, string, unknown?]> = [
      ['GET', `/v1/orgs/${w.org.id}`],
      ['PATCH', `/v1/orgs/${w.org.id}`, { name: 'Taken' }],
      ['DELETE', `/v1/orgs/${w.org.id}`],
      ['GET', `/v1/orgs/${w.org.id}/members`],
      ['PATCH', `/v1/orgs/${w.org.id}/members/${w.member.id}`, { role: 'owner' }],
      ['PATCH', `/v1/orgs/${w.org.id}/members/${w.outsider.id}`, { role: 'owner' }],
      ['DELETE', `/v1/orgs/${w.org.id}/members/${w.member.id}`],
      ['POST', `/v1/orgs/${w.org.id}/invites`, { role: 'admin' }],
    ]
    for (const [method, path, body] of requests) {
      const theirs = await call(a, method, path, { as: w.outsider, body: body })
      const random = await call(a, method, path.replace(w.org.id, randomUUID()), {
        as: w.outsider,
        body: body,
      })
      expect([theirs.status, theirs.body.code], `${method} ${path}`).toEqual([404, 'ORG_NOT_FOUND'])
      expect(random.body.code).toBe('ORG_NOT_FOUND')
      expect(Object.keys(theirs.body).sort()).toEqual(Object.keys(random.body).sort())
    }
    const [org] = await db.admin`select name from orgs where id = ${w.org.id}`
    expect(org?.name).toBe(w.org.name)
    const members =
      await db.admin`select user_id, role from memberships where org_id = ${w.org.id} order by role`
    expect(members).toEqual([
      { user_id: w.admin.id, role: 'admin' },
      { user_id: w.member.id, role: 'member' },
      { user_id: w.owner.id, role: 'owner' },
    ])
    const [invites] =
      await db.admin`select count(*)::int as n from invites where org_id = ${w.org.id}`
    expect(invites?.n).toBe(0)
    const list = await call(a, 'GET', '/v1/orgs', { as: w.outsider })
    expect(list.body.items.map((o: { id: string }) => o.id)).toEqual([w.otherOrg.id])
  })

  it('answers a malformed id with the resource 404, not 400 or 500', async () => {
    const a = await app()
    const w = await world()
    const cases: Array<[string, string, string, unknown?]> = [
      ['GET', '/v1/orgs/not-a-uuid', 'ORG_NOT_FOUND'],
      ['GET', "/v1/orgs/1' or '1'='1", 'ORG_NOT_FOUND'],
      ['PATCH', '/v1/orgs/123', 'ORG_NOT_FOUND', { name: 'x' }],
      ['DELETE', '/v1/orgs/123', 'ORG_NOT_FOUND'],
      ['GET', '/v1/orgs/123/members', 'ORG_NOT_FOUND'],
      ['PATCH', `/v1/orgs/${w.org.id}/members/nope`, 'MEMBER_NOT_FOUND', { role: 'admin' }],
      ['DELETE', `/v1/orgs/${w.org.id}/members/nope`, 'MEMBER_NOT_FOUND'],
      ['POST', '/v1/invites/short/accept', 'INVITE_NOT_FOUND'],
    ]
    for (const [method, path, code, body] of cases) {
      const res = await call(a, method, path, { as: w.owner, body: body })
      expect([res.status, res.body.code], `${method} ${path}`).toEqual([404, code])
    }
  })

  it('needs a user token: 401 with WWW-Authenticate, and a machine token is 403', async () => {
    const a = await app()
    const w = await world()
    const routes: Array<[string, string]> = [
      ['POST', '/v1/orgs'],
      ['GET', '/v1/orgs'],
      ['GET', `/v1/orgs/${w.org.id}`],
      ['PATCH', `/v1/orgs/${w.org.id}`],
      ['DELETE', `/v1/orgs/${w.org.id}`],
      ['GET', `/v1/orgs/${w.org.id}/members`],
      ['PATCH', `/v1/orgs/${w.org.id}/members/${w.member.id}`],
      ['DELETE', `/v1/orgs/${w.org.id}/members/${w.member.id}`],
      ['POST', `/v1/orgs/${w.org.id}/invites`],
      ['POST', `/v1/invites/${'a'.repeat(43)}/accept`],
    ]
    const machine = await kit.auth.clientBearer('ops', ['config:read'])
    for (const [method, path] of routes) {
      const none = await call(a, method, path)
      expect([none.status, none.body.code], `${method} ${path}`).toEqual([401, 'UNAUTHENTICATED'])
      expect(none.headers.get('www-authenticate')).toBe('Bearer')
      const garbage = await a.request(path, { method, headers: { authorization: 'Bearer a.b.c' } })
      expect(garbage.status).toBe(401)
      const robot = await a.request(path, { method, headers: { authorization: machine } })
      expect(robot.status, `${method} ${path}`).toBe(403)
    }
    const [n] =
      await db.admin`select count(*)::int as n from memberships where org_id = ${w.org.id}`
    expect(n?.n).toBe(3)
  })
})
