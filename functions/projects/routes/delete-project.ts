import type { Hono } from 'hono'
import { withUser } from '#shared/db/tenant.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import type { RouteSpec } from '#shared/http/route-spec.ts'
import type { ProjectsDeps } from '../deps.ts'
import { orgRole, pathId, requireAdmin } from '../lib/project.ts'

export const deleteProjectSpec: RouteSpec = {
  method: 'delete',
  path: '/v1/projects/:projectId',
  summary: 'Delete a project and its chats (admins)',
  tag: 'projects',
  auth: 'user',
  response: { status: 204, description: 'Deleted' },
  errors: ['PROJECT_NOT_FOUND'],
}

/** DELETE /v1/projects/{projectId} — admins of its org; its chats go with it. */
export function registerDeleteProject(app: Hono<AppEnv>, deps: ProjectsDeps): void {
  app.delete('/v1/projects/:projectId', async (c) => {
    const user = currentUser(c)
    const id = pathId(c.req.param('projectId'), 'PROJECT_NOT_FOUND')
    await withUser(deps.db, user.userId, async (tx) => {
      const [current] = await tx<{ org_id: string }[]>`select org_id from projects where id = ${id}`
      if (!current) throw new ApiError('PROJECT_NOT_FOUND')
      requireAdmin(await orgRole(tx, current.org_id, user.userId))
      await tx`delete from projects where id = ${id}`
    })
    return c.body(null, 204)
  })
}
