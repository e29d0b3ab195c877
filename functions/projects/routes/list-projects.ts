import type { Hono } from 'hono'
import { withUser } from '#shared/db/tenant.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { PageQuery, pageRequest, toPage } from '#shared/http/pagination.ts'
import type { RouteSpec } from '#shared/http/route-spec.ts'
import type { ProjectsDeps } from '../deps.ts'
import { orgRole, type Project, ProjectListSchema, pathId } from '../lib/project.ts'

type Position = [createdAt: string, id: string]

export const listProjectsSpec: RouteSpec = {
  method: 'get',
  path: '/v1/orgs/:orgId/projects',
  summary: 'List the projects of an org (members)',
  tag: 'projects',
  auth: 'user',
  query: PageQuery,
  response: { status: 200, description: 'A page of projects', schema: ProjectListSchema },
  errors: ['ORG_NOT_FOUND', 'INVALID_CURSOR'],
}

/** GET /v1/orgs/{orgId}/projects — members; oldest first, keyset-paginated. */
export function registerListProjects(app: Hono<AppEnv>, deps: ProjectsDeps): void {
  app.get('/v1/orgs/:orgId/projects', async (c) => {
    const user = currentUser(c)
    const orgId = pathId(c.req.param('orgId'), 'ORG_NOT_FOUND')
    const { limit, after } = pageRequest<Position>(c.req.query(), deps.cursorSecret)
    const rows = await withUser(deps.db, user.userId, async (tx) => {
      await orgRole(tx, orgId, user.userId)
      return tx<Project[]>`
        select id, org_id, name, description, created_at, updated_at from projects
         where org_id = ${orgId}
           ${after ? tx`and (created_at, id) > (${after[0]}::timestamptz, ${after[1]}::uuid)` : tx``}
         order by created_at, id
         limit ${limit + 1}`
    })
    return c.json(toPage(rows, limit, (p): Position => [p.created_at, p.id], deps.cursorSecret))
  })
}
