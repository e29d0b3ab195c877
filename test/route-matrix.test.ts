import type { Hono } from 'hono'
import * as v from 'valibot'
import { beforeAll, describe, expect, it } from 'vitest'
import { hashInviteCode, newInviteCode } from '#functions/orgs/lib/invite-code.ts'
import { FUNCTIONS } from '#platform/functions.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import type { Route } from '#shared/http/route.ts'
import { type Answer, createTestKit, type TestKit } from './harness/app.ts'
import { createTestAuth } from './harness/auth.ts'
import { useTestDatabase } from './harness/database.ts'
import {
  addMember,
  createChat,
  createOrg,
  createProject,
  createUser,
  type UserRow,
} from './harness/fixtures.ts'

/**
 * Beside the auth matrix (auth-matrix.test.ts), one matrix over every user route of
 * every function, from the route definitions alone, so a new route is covered without
 * anyone listing it:
 *   - as a member of the resources its path names, it answers its documented status and
 *     a body that is exactly its response schema (no field missing, none extra);
 *   - with another tenant's ids it answers exactly as for random ids — the resource's
 *     404, never 403 — and the other tenant's rows are unchanged;
 *   - no answer carries an id of the other tenant.
 * Path parameters are filled by name; routes whose meaning needs another caller or
 * resource say so in CALLERS below.
 */

const db = useTestDatabase()
let kit: TestKit
const apps = new Map<string, Hono<AppEnv>>()

beforeAll(async () => {
  kit = createTestKit(await createTestAuth())
  for (const fn of FUNCTIONS) apps.set(fn.name, await kit.app(fn, { db: db.app }))
})

interface Tenant {
  owner: UserRow
  member: UserRow
  outsider: UserRow
  org: { id: string }
  project: { id: string }
  /** The owner's chat in the project. */
  chat: { id: string }
  invite: string
}

/** An org with an owner, a member and a project, an open invite, and a user outside it. */
async function tenant(): Promise<Tenant> {
  const owner = await createUser(db.admin)
  const member = await createUser(db.admin)
  const outsider = await createUser(db.admin)
  const org = await createOrg(db.admin, owner)
  await addMember(db.admin, org, member, 'member')
  const project = await createProject(db.admin, org)
  const chat = await createChat(db.admin, owner, project)
  const invite = newInviteCode()
  await db.admin`
    insert into invites (org_id, code_hash, role, created_by, expires_at)
    values (${org.id}, ${hashInviteCode(invite)}, 'member', ${owner.id}, now() + interval '1 day')`
  return { owner, member, outsider, org, project, chat, invite }
}

/** The resource each path parameter names, and the 404 a stranger gets for it. */
const PARAMS: Record<string, { of: (t: Tenant) => string; notFound: string }> = {
  orgId: { of: (t) => t.org.id, notFound: 'ORG_NOT_FOUND' },
  projectId: { of: (t) => t.project.id, notFound: 'PROJECT_NOT_FOUND' },
  // The member, not the owner: an org's only owner cannot be demoted or removed.
  userId: { of: (t) => t.member.id, notFound: 'ORG_NOT_FOUND' },
  code: { of: (t) => t.invite, notFound: 'INVITE_NOT_FOUND' },
  chatId: { of: (t) => t.chat.id, notFound: 'CHAT_NOT_FOUND' },
}

/** Who calls a route on its happy path: its org's owner, unless the route is for others. */
const CALLERS: Record<string, (t: Tenant) => UserRow> = {
  // An invite is for someone who is not a member yet.
  'POST /v1/invites/:code/accept': (t) => t.outsider,
}

/**
 * Routes left out of the cross-tenant check, and why. An invite code is a bearer
 * capability: whoever holds one may join its org, whatever tenant they are.
 */
const NOT_TENANT_SCOPED = new Set(['POST /v1/invites/:code/accept'])

/**
 * Routes whose answer is a stream that stays open (SSE): no body to compare with a
 * schema. Their refusals are in the cross-tenant check below; the stream itself is
 * functions/chat's tests'.
 */
const STREAMS = new Set(['GET /v1/chats/:chatId/events'])

const label = (route: Route<unknown>) => `${route.method.toUpperCase()} ${route.path}`
const paramsOf = (route: Route<unknown>) =>
  [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string)

function pathFor(route: Route<unknown>, values: (name: string) => string): string {
  return route.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => values(name))
}

function send(fn: string, route: Route<unknown>, path: string, as: UserRow): Promise<Answer> {
  return kit.call(apps.get(fn) as Hono<AppEnv>, route.method.toUpperCase(), path, {
    as,
    ...(route.body ? { body: route.example ?? {} } : {}),
  })
}

/** What the other tenant has, to check that nothing of it changed. */
async function snapshot(t: Tenant) {
  return db.admin`
    select (select row_to_json(o) from orgs o where id = ${t.org.id}) as org,
           (select json_agg(m order by user_id) from memberships m where org_id = ${t.org.id}) as members,
           (select json_agg(p order by id) from projects p where org_id = ${t.org.id}) as projects,
           (select json_agg(i.used_at) from invites i where org_id = ${t.org.id}) as invites,
           (select row_to_json(c) from chat_sessions c where id = ${t.chat.id}) as chat`
}

const ROUTES = FUNCTIONS.flatMap((fn) =>
  fn.routes.filter((route) => route.auth === 'user').map((route) => ({ fn: fn.name, route })),
)

describe('every user route, from its definition', () => {
  it('is covered (the matrix is not empty)', () => {
    expect(ROUTES.length).toBeGreaterThanOrEqual(15)
    for (const { route } of ROUTES) {
      for (const name of paramsOf(route))
        expect(PARAMS, `${label(route)} :${name}`).toHaveProperty(name)
    }
  })

  it.each(
    ROUTES.filter((r) => !STREAMS.has(label(r.route))).map((r) => [label(r.route), r] as const),
  )(
    '%s answers its documented status and exactly its response schema',
    async (name, { fn, route }) => {
      const mine = await tenant()
      const other = await tenant()
      const caller = (CALLERS[name] ?? ((t: Tenant) => t.owner))(mine)
      const res = await send(
        fn,
        route,
        pathFor(route, (p) => PARAMS[p]?.of(mine) ?? ''),
        caller,
      )
      expect(res.status, res.text).toBe(route.response.status)
      const schema = route.response.schema
      if (schema) {
        const parsed = v.safeParse(schema, res.body)
        expect(parsed.issues, res.text).toBeUndefined()
        // valibot's objects drop unknown keys: equal output means no extra field.
        expect(parsed.output, 'fields beyond the response schema').toEqual(res.body)
      } else {
        expect(res.text).toBe('')
      }
      for (const id of [other.org.id, other.project.id, other.owner.id, other.member.id]) {
        expect(res.text).not.toContain(id)
      }
    },
  )

  it.each(
    ROUTES.filter(
      (r) => paramsOf(r.route).length > 0 && !NOT_TENANT_SCOPED.has(label(r.route)),
    ).map((r) => [label(r.route), r] as const),
  )(
    '%s answers another tenant’s ids exactly as random ids, and changes nothing',
    async (_name, { fn, route }) => {
      const mine = await tenant()
      const other = await tenant()
      const before = await snapshot(other)
      const theirs = await send(
        fn,
        route,
        pathFor(route, (p) => PARAMS[p]?.of(other) ?? ''),
        mine.owner,
      )
      const random = await send(
        fn,
        route,
        pathFor(route, () => crypto.randomUUID()),
        mine.owner,
      )
      const expected = PARAMS[paramsOf(route)[0] as string]?.notFound
      expect([theirs.status, theirs.body?.code], theirs.text).toEqual([404, expected])
      expect([random.status, random.body?.code], random.text).toEqual([404, expected])
      expect(Object.keys(theirs.body).sort()).toEqual(Object.keys(random.body).sort())
      expect(await snapshot(other)).toEqual(before)
    },
  )
})
