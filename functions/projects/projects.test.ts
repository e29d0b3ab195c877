import { randomUUID } from 'node:crypto'
import type { Sql } from 'postgres'
import { describe, expect, it } from 'vitest'
import { connect } from '#shared/db/client.ts'
import { createLogger } from '#shared/log.ts'
import { useTestKit } from '#test/harness/app.ts'
import { createTestDatabase, useTestDatabase } from '#test/harness/database.ts'
import { createOrg, createProject, createUser, orgWithRoles } from '#test/harness/fixtures.ts'
import { freePort } from '#test/harness/local-servers.ts'
import { projects } from './function.ts'

const db = useTestDatabase()
const kit = useTestKit()
const call = kit.call

/**
 * The app on `sql`, its config read through `configSql` (the same pool unless a test
 * points the app at a database that cannot be reached), logging to `appLog`.
 */
async function projectsApp(
  sql: Sql = db.app,
  { configSql = sql, appLog }: { configSql?: Sql; appLog?: ReturnType<typeof createLogger> } = {},
) {
  const built = await kit.build(projects, {
    db: sql,
    configDb: configSql,
    ...(appLog ? { log: appLog } : {}),
  })
  return built.app
}

/** An org with an owner, an admin, a plain member; plus an outsider with their own org. */
const world = () => orgWithRoles(db.admin)

describe('projects function', () => {
  it('answers 503 UNAVAILABLE with Retry-After while PostgreSQL cannot be reached', async () => {
    const unreachable = connect(`postgres://tenantry_app:x@127.0.0.1:${await freePort()}/none`, {
      max: 1,
    })
    try {
      const app = await projectsApp(unreachable, { configSql: db.app })
      const w = await world()
      const res = await call(app, 'GET', `/v1/projects/${randomUUID()}`, { as: w.member })
      expect(res.status, res.text).toBe(503)
      expect(res.body).toMatchObject({ code: 'UNAVAILABLE', status: 503 })
      expect(res.headers.get('retry-after')).toBe('2')
      expect(res.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/)
    } finally {
      await unreachable.end({ timeout: 1 })
    }
  })

  it('names the calling user in the canonical log line, and nothing from the token', async () => {
    const lines: string[] = []
    const app = await projectsApp(db.app, {
      appLog: createLogger('test', { destination: { write: (line: string) => lines.push(line) } }),
    })
    const w = await world()
    const project = await createProject(db.admin, w.org)
    const token = await kit.auth.bearer(w.member)
    const res = await app.request(`/v1/projects/${project.id}`, {
      headers: { authorization: token },
    })
    expect(res.status).toBe(200)
    const entries = lines.map((line) => JSON.parse(line)).filter((e) => e.msg === 'request')
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({
      method: 'GET',
      route: '/v1/projects/:projectId',
      status: 200,
      user_id: w.member.id,
      request_id: res.headers.get('x-request-id'),
    })
    expect(lines.join('')).not.toContain(token.replace(/^Bearer /, ''))
  })

  it('creates, reads, lists, renames and deletes a project', async () => {
    const app = await projectsApp()
    const w = await world()
    const created = await call(app, 'POST', `/v1/orgs/${w.org.id}/projects`, {
      as: w.admin,
      body: {
        name: '  Website  ',
        description: 'The public site',
      },
    })
    expect(created.status, created.text).toBe(201)
    expect(created.body).toMatchObject({
      org_id: w.org.id,
      name: 'Website',
      description: 'The public site',
    })
    expect(Object.keys(created.body).sort()).toEqual(
      ['created_at', 'description', 'id', 'name', 'org_id', 'updated_at'].sort(),
    )
    expect(created.headers.get('location')).toBe(`/v1/projects/${created.body.id}`)

    const read = await call(app, 'GET', `/v1/projects/${created.body.id}`, { as: w.member })
    expect(read.status, read.text).toBe(200)
    expect(read.body).toEqual(created.body)

    const list = await call(app, 'GET', `/v1/orgs/${w.org.id}/projects`, { as: w.member })
    expect(list.body).toEqual({ items: [created.body], next_cursor: null })

    const renamed = await call(app, 'PATCH', `/v1/projects/${created.body.id}`, {
      as: w.owner,
      body: {
        name: 'Site',
      },
    })
    expect(renamed.status, renamed.text).toBe(200)
    expect(renamed.body).toMatchObject({ name: 'Site', description: 'The public site' })

    const deleted = await call(app, 'DELETE', `/v1/projects/${created.body.id}`, { as: w.admin })
    expect(deleted.status).toBe(204)
    expect(
      (await call(app, 'GET', `/v1/projects/${created.body.id}`, { as: w.member })).status,
    ).toBe(404)
  })

  it('answers 409 PROJECT_NAME_TAKEN for a duplicate name in the org, on create and rename', async () => {
    const app = await projectsApp()
    const w = await world()
    await createProject(db.admin, w.org, 'Docs')
    const other = await createProject(db.admin, w.org, 'Blog')
    const dup = await call(app, 'POST', `/v1/orgs/${w.org.id}/projects`, {
      as: w.admin,
      body: { name: 'Docs' },
    })
    expect([dup.status, dup.body.code]).toEqual([409, 'PROJECT_NAME_TAKEN'])
    const rename = await call(app, 'PATCH', `/v1/projects/${other.id}`, {
      as: w.admin,
      body: { name: 'Docs' },
    })
    expect([rename.status, rename.body.code]).toEqual([409, 'PROJECT_NAME_TAKEN'])
  })

  it('enforces the org quota from the projects config, also under concurrent creates', async () => {
    const own = await createTestDatabase()
    try {
      await own.admin`update service_configs set data = '{"max_projects_per_org": 3}', version = 2
                      where service = 'projects'`
      const app = await projectsApp(own.app)
      const owner = await createUser(own.admin)
      const org = await createOrg(own.admin, owner)
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          call(app, 'POST', `/v1/orgs/${org.id}/projects`, { as: owner, body: { name: `P${i}` } }),
        ),
      )
      const statuses = results.map((r) => r.status).sort()
      expect(statuses).toEqual([201, 201, 201, 409, 409, 409])
      expect(
        results
          .filter((r) => r.status === 409)
          .every((r) => r.body.code === 'PROJECT_LIMIT_REACHED'),
      ).toBe(true)
    } finally {
      await own.drop()
    }
  })

  it('lets members read but only admins write (403 FORBIDDEN)', async () => {
    const app = await projectsApp()
    const w = await world()
    const project = await createProject(db.admin, w.org)
    const create = await call(app, 'POST', `/v1/orgs/${w.org.id}/projects`, {
      as: w.member,
      body: {
        name: 'Nope',
      },
    })
    expect([create.status, create.body.code]).toEqual([403, 'FORBIDDEN'])
    const patch = await call(app, 'PATCH', `/v1/projects/${project.id}`, {
      as: w.member,
      body: { name: 'Nope' },
    })
    expect([patch.status, patch.body.code]).toEqual([403, 'FORBIDDEN'])
    const del = await call(app, 'DELETE', `/v1/projects/${project.id}`, { as: w.member })
    expect([del.status, del.body.code]).toEqual([403, 'FORBIDDEN'])
    expect((await call(app, 'GET', `/v1/projects/${project.id}`, { as: w.member })).status).toBe(
      200,
    )
  })

  it('pages through a list with no duplicates or gaps, and refuses a tampered cursor', async () => {
    const app = await projectsApp()
    const w = await world()
    for (let i = 0; i < 7; i++) await createProject(db.admin, w.org, `Paged ${i}`)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3'
      const page = await call(app, 'GET', `/v1/orgs/${w.org.id}/projects${query}`, { as: w.member })
      expect(page.status, page.text).toBe(200)
      expect(page.body.items.length).toBeLessThanOrEqual(3)
      seen.push(...page.body.items.map((p: { name: string }) => p.name))
      cursor = page.body.next_cursor
    } while (cursor)
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `Paged ${i}`))
    const bad = await call(app, 'GET', `/v1/orgs/${w.org.id}/projects?cursor=abc.def`, {
      as: w.member,
    })
    expect([bad.status, bad.body.code]).toEqual([400, 'INVALID_CURSOR'])
    for (const limit of ['0', '101', 'x']) {
      const res = await call(app, 'GET', `/v1/orgs/${w.org.id}/projects?limit=${limit}`, {
        as: w.member,
      })
      expect([res.status, res.body.code], limit).toEqual([400, 'VALIDATION_FAILED'])
    }
  })

  it('validates bodies without echoing them, and ignores fields a client may not set', async () => {
    const app = await projectsApp()
    const w = await world()
    const bad = await call(app, 'POST', `/v1/orgs/${w.org.id}/projects`, {
      as: w.admin,
      body: {
        name: 'x'.repeat(101),
        description: 42,
      },
    })
    expect(bad.status).toBe(400)
    expect(bad.body.errors.map((e: { location: string }) => e.location)).toEqual([
      'body.name',
      'body.description',
    ])
    expect(bad.text).not.toContain('x'.repeat(101))
    const created = await call(app, 'POST', `/v1/orgs/${w.org.id}/projects`, {
      as: w.admin,
      body: {
        name: 'Mass',
        id: '00000000-0000-4000-8000-000000000000',
        org_id: w.otherOrg.id,
        created_at: '2000-01-01T00:00:00Z',
      },
    })
    expect(created.status, created.text).toBe(201)
    expect(created.body.id).not.toBe('00000000-0000-4000-8000-000000000000')
    expect(created.body.org_id).toBe(w.org.id)
    const patched = await call(app, 'PATCH', `/v1/projects/${created.body.id}`, {
      as: w.admin,
      body: {
        org_id: w.otherOrg.id,
        id: randomUUID(),
      },
    })
    expect(patched.body).toEqual(
      created.body.updated_at === patched.body.updated_at
        ? created.body
        : { ...created.body, updated_at: patched.body.updated_at },
    )
  })
})

describe('projects isolation', () => {
  it('answers another tenant exactly as for a random id, and changes nothing', async () => {
    const app = await projectsApp()
    const w = await world()
    const project = await createProject(db.admin, w.org, 'Private')
    const requests: Array<[string, string, unknown?]> = [
      ['GET', `/v1/projects/${project.id}`],
      ['PATCH', `/v1/projects/${project.id}`, { name: 'Taken' }],
      ['DELETE', `/v1/projects/${project.id}`],
      ['GET', `/v1/orgs/${w.org.id}/projects`],
      ['POST', `/v1/orgs/${w.org.id}/projects`, { name: 'Planted' }],
    ]
    for (const [method, path, body] of requests) {
      const theirs = await call(app, method, path, { as: w.outsider, body })
      const random = await call(app, method, path.replace(/[0-9a-f-]{36}/, randomUUID()), {
        as: w.outsider,
        body,
      })
      expect(theirs.status, `${method} ${path}`).toBe(404)
      expect(theirs.body.code).toBe(random.body.code)
      expect(['ORG_NOT_FOUND', 'PROJECT_NOT_FOUND']).toContain(theirs.body.code)
    }
    const [after] = await db.admin`select name from projects where id = ${project.id}`
    expect(after?.name).toBe('Private')
    const [planted] = await db.admin`select count(*)::int as n from projects where name = 'Planted'`
    expect(planted?.n).toBe(0)
  })

  it('answers a malformed id with the resource 404, not 400 or 500', async () => {
    const app = await projectsApp()
    const w = await world()
    for (const [path, code] of [
      ['/v1/projects/not-a-uuid', 'PROJECT_NOT_FOUND'],
      ["/v1/projects/1' or '1'='1", 'PROJECT_NOT_FOUND'],
      ['/v1/orgs/123/projects', 'ORG_NOT_FOUND'],
    ]) {
      const res = await call(app, 'GET', path as string, { as: w.member })
      expect([res.status, res.body.code], path).toEqual([404, code])
    }
  })

  it('needs a token: 401 with WWW-Authenticate, and a machine token is 403', async () => {
    const app = await projectsApp()
    const w = await world()
    const none = await call(app, 'GET', `/v1/orgs/${w.org.id}/projects`)
    expect([none.status, none.body.code]).toEqual([401, 'UNAUTHENTICATED'])
    expect(none.headers.get('www-authenticate')).toBe('Bearer')
    const garbage = await app.request(`/v1/orgs/${w.org.id}/projects`, {
      headers: { authorization: 'Bearer abc.def.ghi' },
    })
    expect(garbage.status).toBe(401)
    expect(garbage.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    const machine = await app.request(`/v1/orgs/${w.org.id}/projects`, {
      headers: { authorization: await kit.auth.clientBearer('ops', ['config:read']) },
    })
    expect(machine.status).toBe(403)
  })
})
