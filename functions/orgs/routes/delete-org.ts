import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { orgRole, pathId, requireRole } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { orgMetrics } from '../lib/metrics.ts'

/**
 * DELETE /v1/orgs/{orgId} — owners. Projects, chats, memberships and invites go with it
 * (foreign keys cascade). The tenant's resources are removed before the transaction
 * commits: if that fails the delete rolls back and the caller gets 503 and may retry
 * (deprovisioning is idempotent), so no org is left without its cleanup having run.
 */
export const deleteOrg = route({
  method: 'delete',
  path: '/v1/orgs/:orgId',
  summary: 'Delete an org with its projects and chats (owners)',
  tag: 'orgs',
  auth: 'user',
  response: { status: 204, description: 'Deleted' },
  errors: ['ORG_NOT_FOUND', 'UNAVAILABLE'],
  async handler(c, deps) {
    const user = currentUser(c)
    const id = pathId(c.req.param('orgId'), 'ORG_NOT_FOUND')
    await withUser(deps.db, user.userId, async (tx) => {
      requireRole(await orgRole(tx, id, user.userId), 'owner')
      await tx`delete from orgs where id = ${id}`
      try {
        await deps.provisioner.deprovision(id)
      } catch (error) {
        c.get('log').error({ org_id: id, err: error }, 'deprovisioning failed; delete rolled back')
        throw new ApiError('UNAVAILABLE', {
          detail: 'The org’s resources could not be removed; try again.',
          headers: { 'Retry-After': '5' },
        })
      }
    })
    orgMetrics(deps.metrics).deleted()
    return c.body(null, 204)
  },
})
