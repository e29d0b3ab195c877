import type { Hono } from 'hono'
import { withUser } from '#shared/db/tenant.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import type { RouteSpec } from '#shared/http/route-spec.ts'
import type { ProjectsDeps } from '../deps.ts'
import { type Project, ProjectSchema, pathId } from '../lib/project.ts'

export const getProjectSpec: RouteSpec = {
  method: 'get',
  path: '/v1/projects/:projectId',
  summary: 'Read a project (members of its org)',
  tag: 'projects',
  auth: 'user',
  response: { status: 200, description: 'The project', schema: ProjectSchema },
  errors: ['PROJECT_NOT_FOUND'],
}

/** GET /v1/projects/{projectId} — members of its org; anyone else gets the same 404. */
export function registerGetProject(app: Hono<AppEnv>, deps: ProjectsDeps): void {
  app.get('/v1/projects/:projectId', async (c) => {
    const user = currentUser(c)
    const id = pathId(c.req.param('projectId'), 'PROJECT_NOT_FOUND')
    // One statement returned unawaited: the whole scoped read is one round trip.
    const [project] = await withUser(
      deps.db,
      user.userId,
      (tx) => tx<Project[]>`
      select id, org_id, name, description, created_at, updated_at from projects where id = ${id}`,
    )
    if (!project) throw new ApiError('PROJECT_NOT_FOUND')
    return c.json(project)
  })
}
