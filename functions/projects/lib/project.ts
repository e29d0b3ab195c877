import * as v from 'valibot'
import type { Tx } from '#shared/db/tenant.ts'
import { ApiError } from '#shared/http/errors.ts'

/** A project as the API shows it (API.md "projects"). */
export interface Project {
  id: string
  org_id: string
  name: string
  description: string
  created_at: string
  updated_at: string
}

/** The response shape, for the OpenAPI document. */
export const ProjectSchema = v.object({
  id: v.pipe(v.string(), v.uuid()),
  org_id: v.pipe(v.string(), v.uuid()),
  name: v.string(),
  description: v.string(),
  created_at: v.pipe(v.string(), v.isoTimestamp()),
  updated_at: v.pipe(v.string(), v.isoTimestamp()),
})

export const ProjectListSchema = v.object({
  items: v.array(ProjectSchema),
  next_cursor: v.nullable(v.string()),
})

export const ProjectDescription = v.pipe(
  v.string('must be a string'),
  v.maxLength(1000, 'must be at most 1000 characters'),
)

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A malformed id in a path is the same 404 as an unknown one (API.md). */
export function pathId(value: string, notFound: 'ORG_NOT_FOUND' | 'PROJECT_NOT_FOUND'): string {
  if (!UUID.test(value)) throw new ApiError(notFound)
  return value.toLowerCase()
}

export type Role = 'owner' | 'admin' | 'member'

/**
 * The caller's role in an org, or ORG_NOT_FOUND when they are not a member (not 403:
 * an org of someone else does not exist for them). Runs inside withUser, so RLS limits
 * it to the caller's own memberships anyway.
 */
export async function orgRole(tx: Tx, orgId: string, userId: string): Promise<Role> {
  const [row] = await tx<{ role: Role }[]>`
    select role from memberships where org_id = ${orgId} and user_id = ${userId}`
  if (!row) throw new ApiError('ORG_NOT_FOUND')
  return row.role
}

export function requireAdmin(role: Role): void {
  if (role === 'member')
    throw new ApiError('FORBIDDEN', { detail: 'This needs the admin role in the org.' })
}

/** PostgreSQL's unique violation of (org_id, name) as the API's 409. */
export function nameTaken(error: unknown): never {
  const pg = error as { code?: string; constraint_name?: string }
  if (pg.code === '23505' && pg.constraint_name === 'projects_org_id_name_key') {
    throw new ApiError('PROJECT_NAME_TAKEN')
  }
  throw error
}
