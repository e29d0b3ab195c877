import * as v from 'valibot'
import type { Tx } from '#shared/db/tenant.ts'
import { isUuid } from '#shared/ids.ts'
import { ApiError, type ErrorCode } from './errors.ts'

/**
 * Access to an org's resources from a handler: path ids, the caller's role and the
 * checks every org-scoped route makes (orgs, projects and chat use the same ones).
 */

export type Role = 'owner' | 'admin' | 'member'
const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 }

export const RoleSchema = v.picklist(['owner', 'admin', 'member'], 'must be owner, admin or member')

/** A malformed id in a path is the same 404 as an unknown one (API.md). */
export function pathId(value: string, notFound: ErrorCode): string {
  if (!isUuid(value)) throw new ApiError(notFound)
  return value.toLowerCase()
}

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

/** 403 FORBIDDEN unless `role` is at least `needed` (owner > admin > member). */
export function requireRole(role: Role, needed: Role): void {
  if (RANK[role] < RANK[needed]) {
    throw new ApiError('FORBIDDEN', { detail: `This needs the ${needed} role in the org.` })
  }
}
