import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { pathId } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { type Project, ProjectSchema } from '../lib/project.ts'

/** GET /v1/projects/{projectId} — members of its org; anyone else gets the same 404. */
export const getProject = route({
  method: 'get',
  path: '/v1/projects/:projectId',
  summary: 'Read a project (members of its org)',
  tag: 'projects',
  auth: 'user',
  response: { status: 200, description: 'The project', schema: ProjectSchema },
  errors: ['PROJECT_NOT_FOUND'],
  async handler(c, deps) {
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
  },
})
