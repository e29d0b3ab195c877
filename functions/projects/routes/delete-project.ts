import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { orgRole, pathId, requireRole } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { projectMetrics } from '../lib/metrics.ts'

/** DELETE /v1/projects/{projectId} — admins of its org; its chats go with it. */
export const deleteProject = route({
  method: 'delete',
  path: '/v1/projects/:projectId',
  summary: 'Delete a project and its chats (admins)',
  tag: 'projects',
  auth: 'user',
  response: { status: 204, description: 'Deleted' },
  errors: ['PROJECT_NOT_FOUND'],
  async handler(c, deps) {
    const user = currentUser(c)
    const id = pathId(c.req.param('projectId'), 'PROJECT_NOT_FOUND')
    await withUser(deps.db, user.userId, async (tx) => {
      const [current] = await tx<{ org_id: string }[]>`select org_id from projects where id = ${id}`
      if (!current) throw new ApiError('PROJECT_NOT_FOUND')
      requireRole(await orgRole(tx, current.org_id, user.userId), 'admin')
      await tx`delete from projects where id = ${id}`
    })
    projectMetrics(deps.metrics).deleted()
    return c.body(null, 204)
  },
})
