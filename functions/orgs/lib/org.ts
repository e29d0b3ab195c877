import * as v from 'valibot'
import type { Tx } from '#shared/db/tenant.ts'
import { ApiError } from '#shared/http/errors.ts'

/** An org as the API shows it: the same shape on create, read, list and rename. */
export interface Org {
  id: string
  name: string
  status: 'pending' | 'committed' | 'failed'
  role: Role
  created_at: string
}

export type Role = 'owner' | 'admin' | 'member'
const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 }

export const RoleSchema = v.picklist(['owner', 'admin', 'member'], 'must be owner, admin or member')

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A malformed id in a path is the same 404 as an unknown one (API.md). */
export function pathId(value: string, notFound: 'ORG_NOT_FOUND' | 'MEMBER_NOT_FOUND'): string {
  if (!UUID.test(value)) throw new ApiError(notFound)
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

/**
 * Serialises every change that can remove an owner from one org (role changes, member
 * removals), so the last-owner check and the change are atomic: two owners demoting
 * each other at once cannot both see "another owner remains". A transaction-scoped
 * advisory lock rather than SELECT … FOR UPDATE because FOR UPDATE also applies the
 * memberships UPDATE policy (owners only), which would hide the rows from a member who
 * is leaving. Under READ COMMITTED every statement after the lock sees the winner.
 */
export async function lockOwners(tx: Tx, orgId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`org-owners:${orgId}`}, 0))`
}

export async function ownerCount(tx: Tx, orgId: string): Promise<number> {
  const [row] = await tx<{ n: number }[]>`
    select count(*)::int as n from memberships where org_id = ${orgId} and role = 'owner'`
  return row?.n ?? 0
}
