import { randomInt } from 'node:crypto'
import type { Sql } from 'postgres'

/**
 * Test data, written through the administrator's pool (which bypasses RLS) so that a
 * test's setup never depends on the policies it is testing.
 */

export interface UserRow {
  id: string
  handle: string
}
export interface OrgRow {
  id: string
  name: string
}
export interface ProjectRow {
  id: string
  org_id: string
  name: string
}
export type Role = 'owner' | 'admin' | 'member'

let counter = 0
const unique = (prefix: string) => `${prefix} ${process.pid}-${++counter}`

export async function createUser(admin: Sql): Promise<UserRow> {
  const [user] = await admin<UserRow[]>`
    insert into users (handle) values (${`guest-${randomInt(1e9, 1e10)}`})
    returning id, handle`
  return user as UserRow
}

/** A committed org with `owner` as its owner. */
export async function createOrg(admin: Sql, owner: UserRow, name = unique('Org')): Promise<OrgRow> {
  const [org] = await admin<OrgRow[]>`
    insert into orgs (name, status, created_by) values (${name}, 'committed', ${owner.id})
    returning id, name`
  await addMember(admin, org as OrgRow, owner, 'owner')
  return org as OrgRow
}

export async function addMember(admin: Sql, org: OrgRow, user: UserRow, role: Role): Promise<void> {
  await admin`insert into memberships (org_id, user_id, role) values (${org.id}, ${user.id}, ${role})`
}

export async function createProject(
  admin: Sql,
  org: OrgRow,
  name = unique('Project'),
): Promise<ProjectRow> {
  const [project] = await admin<ProjectRow[]>`
    insert into projects (org_id, name) values (${org.id}, ${name})
    returning id, org_id, name`
  return project as ProjectRow
}

export async function createChat(
  admin: Sql,
  user: UserRow,
  project: ProjectRow,
): Promise<{ id: string }> {
  const [chat] = await admin<{ id: string }[]>`
    insert into chat_sessions (user_id, project_id, expires_at)
    values (${user.id}, ${project.id}, now() + interval '30 minutes')
    returning id`
  return chat as { id: string }
}

/** A new user who owns an org with one project, and an active chat of theirs in it. */
export async function chatOwner(admin: Sql) {
  const user = await createUser(admin)
  const project = await createProject(admin, await createOrg(admin, user))
  const chat = await createChat(admin, user, project)
  return { user, project, chatId: chat.id }
}

/** Two tenants, each an owner with one org and one project: the isolation tests' world. */
export async function twoTenants(admin: Sql) {
  const make = async () => {
    const user = await createUser(admin)
    const org = await createOrg(admin, user)
    const project = await createProject(admin, org)
    return { user, org, project }
  }
  return { a: await make(), b: await make() }
}

/**
 * An org with one user of each role, and an outsider who owns another org: the world of
 * the function tests' role and cross-tenant cases.
 */
export async function orgWithRoles(admin: Sql) {
  const owner = await createUser(admin)
  const orgAdmin = await createUser(admin)
  const member = await createUser(admin)
  const outsider = await createUser(admin)
  const org = await createOrg(admin, owner)
  await addMember(admin, org, orgAdmin, 'admin')
  await addMember(admin, org, member, 'member')
  const otherOrg = await createOrg(admin, outsider)
  return { owner, admin: orgAdmin, member, outsider, org, otherOrg }
}
