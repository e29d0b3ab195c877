import * as v from 'valibot'
import type { Tx } from '#shared/db/tenant.ts'
import { type Role, RoleSchema } from '#shared/http/org-access.ts'

/** An org as the API shows it: the same shape on create, read, list and rename. */
export interface Org {
  id: string
  name: string
  status: 'pending' | 'committed' | 'failed'
  role: Role
  created_at: string
}

const Timestamp = v.pipe(v.string(), v.isoTimestamp())
export const Id = v.pipe(v.string(), v.uuid())

/** The response shapes, for the OpenAPI document and the route matrices. */
export const OrgSchema = v.object({
  id: Id,
  name: v.string(),
  status: v.picklist(['pending', 'committed', 'failed']),
  role: RoleSchema,
  created_at: Timestamp,
})
export const MemberSchema = v.object({
  user_id: Id,
  handle: v.string(),
  role: RoleSchema,
  joined_at: Timestamp,
})
export const InviteSchema = v.object({
  code: v.string(),
  role: v.picklist(['admin', 'member']),
  expires_at: Timestamp,
})
export const page = <S extends v.GenericSchema>(item: S) =>
  v.object({ items: v.array(item), next_cursor: v.nullable(v.string()) })

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
