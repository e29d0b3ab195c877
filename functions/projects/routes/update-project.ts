import * as v from 'valibot'
import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { EntityName } from '#shared/http/names.ts'
import { orgRole, pathId, requireRole } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { nameTaken, type Project, ProjectDescription, ProjectSchema } from '../lib/project.ts'

// Only these two fields can change; anything else in the body (id, org_id, created_at)
// is dropped by the schema, never written.
const Body = v.object({
  name: v.optional(EntityName),
  description: v.optional(ProjectDescription),
})

/** PATCH /v1/projects/{projectId} — admins of its org. */
export const updateProject = route({
  method: 'patch',
  path: '/v1/projects/:projectId',
  summary: 'Rename a project or change its description (admins)',
  tag: 'projects',
  auth: 'user',
  body: Body,
  example: { name: 'Site' },
  response: { status: 200, description: 'The project', schema: ProjectSchema },
  errors: ['PROJECT_NOT_FOUND', 'PROJECT_NAME_TAKEN'],
  async handler(c, deps, { body }) {
    const user = currentUser(c)
    const id = pathId(c.req.param('projectId'), 'PROJECT_NOT_FOUND')
    const project = await withUser(deps.db, user.userId, async (tx) => {
      const [current] = await tx<{ org_id: string }[]>`select org_id from projects where id = ${id}`
      if (!current) throw new ApiError('PROJECT_NOT_FOUND')
      requireRole(await orgRole(tx, current.org_id, user.userId), 'admin')
      const [row] = await tx<Project[]>`
        update projects
           set name = coalesce(${body.name ?? null}, name),
               description = coalesce(${body.description ?? null}, description)
         where id = ${id}
        returning id, org_id, name, description, created_at, updated_at`.catch(nameTaken)
      return row as Project
    })
    return c.json(project)
  },
})
