import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { orgRole, pathId, type Role, requireRole } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { lockOwners, ownerCount } from '../lib/org.ts'

/**
 * DELETE /v1/orgs/{orgId}/members/{userId} — admins remove members, anyone may leave.
 * An org never loses its last owner (409 LAST_OWNER, checked first, whoever asks). An
 * admin may not remove an owner (403): admins rank below owners, and removing one
 * would let an admin strip the org of its owners down to one.
 */
export const removeMember = route({
  method: 'delete',
  path: '/v1/orgs/:orgId/members/:userId',
  summary: 'Remove a member (admins), or leave the org',
  tag: 'orgs',
  auth: 'user',
  response: { status: 204, description: 'Removed' },
  errors: ['ORG_NOT_FOUND', 'MEMBER_NOT_FOUND', 'LAST_OWNER'],
  async handler(c, deps) {
    const user = currentUser(c)
    const orgId = pathId(c.req.param('orgId'), 'ORG_NOT_FOUND')
    const targetParam = c.req.param('userId')
    await withUser(deps.db, user.userId, async (tx) => {
      await lockOwners(tx, orgId)
      const callerRole = await orgRole(tx, orgId, user.userId)
      const target = pathId(targetParam, 'MEMBER_NOT_FOUND')
      const self = target === user.userId
      if (!self) requireRole(callerRole, 'admin')
      const [current] = await tx<{ role: Role }[]>`
        select role from memberships where org_id = ${orgId} and user_id = ${target}`
      if (!current) throw new ApiError('MEMBER_NOT_FOUND')
      if (current.role === 'owner' && (await ownerCount(tx, orgId)) < 2) {
        throw new ApiError('LAST_OWNER', { detail: 'Make another member an owner first.' })
      }
      if (!self && current.role === 'owner') requireRole(callerRole, 'owner')
      await tx`delete from memberships where org_id = ${orgId} and user_id = ${target}`
    })
    return c.body(null, 204)
  },
})
