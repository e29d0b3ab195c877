import type { Hono } from 'hono'
import { withUser } from '#shared/db/tenant.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import type { OrgsDeps } from '../deps.ts'
import { orgRole, pathId, requireRole } from '../lib/org.ts'

/**
 * DELETE /v1/orgs/{orgId} — owners. Projects, chats, memberships and invites go with it
 * (foreign keys cascade). The tenant's resources are removed before the transaction
 * commits: if that fails the delete rolls back and the caller gets 503 and may retry
 * (deprovisioning is idempotent), so no org is left without its cleanup having run.
 */
export function registerDeleteOrg(app: Hono<AppEnv>, deps: OrgsDeps): void {
  app.delete('/v1/orgs/:orgId', async (c) => {
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
    return c.body(null, 204)
  })
}
