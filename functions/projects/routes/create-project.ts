import * as v from 'valibot'
import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { once } from '#shared/http/idempotency.ts'
import { EntityName } from '#shared/http/names.ts'
import { orgRole, pathId, requireRole } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { projectMetrics } from '../lib/metrics.ts'
import { nameTaken, type Project, ProjectDescription, ProjectSchema } from '../lib/project.ts'

const Body = v.object({
  name: EntityName,
  description: v.optional(ProjectDescription, ''),
})

/** POST /v1/orgs/{orgId}/projects — admins; the org's quota comes from the projects config. */
export const createProject = route({
  method: 'post',
  path: '/v1/orgs/:orgId/projects',
  summary: 'Create a project in an org (admins)',
  tag: 'projects',
  auth: 'user',
  body: Body,
  example: { name: 'Website', description: 'The public site' },
  idempotent: true,
  response: { status: 201, description: 'The project', schema: ProjectSchema },
  errors: ['ORG_NOT_FOUND', 'PROJECT_NAME_TAKEN', 'PROJECT_LIMIT_REACHED'],
  async handler(c, deps, { body }) {
    const user = currentUser(c)
    const orgId = pathId(c.req.param('orgId'), 'ORG_NOT_FOUND')
    const quota = deps.config.get('projects').max_projects_per_org
    // Set by the work only, which a replay of the Idempotency-Key does not run.
    let created = false
    // The project and the answer a retry with the same Idempotency-Key gets commit together.
    const response = await once(
      c,
      (work) => withUser(deps.db, user.userId, work),
      async (tx) => {
        requireRole(await orgRole(tx, orgId, user.userId), 'admin')
        // One creator at a time per org, so two concurrent creates cannot both pass the quota.
        await tx`select pg_advisory_xact_lock(hashtextextended(${`projects:${orgId}`}, 0))`
        const [count] = await tx<{ n: number }[]>`
        select count(*)::int as n from projects where org_id = ${orgId}`
        if ((count?.n ?? 0) >= quota) {
          throw new ApiError('PROJECT_LIMIT_REACHED', {
            detail: `This org may have ${quota} projects.`,
          })
        }
        const [row] = await tx<Project[]>`
        insert into projects (org_id, name, description)
        values (${orgId}, ${body.name}, ${body.description})
        returning id, org_id, name, description, created_at, updated_at`.catch(nameTaken)
        const project = row as Project
        created = true
        return c.json(project, 201, { Location: `/v1/projects/${project.id}` })
      },
    )
    if (created) projectMetrics(deps.metrics).created()
    return response
  },
})
