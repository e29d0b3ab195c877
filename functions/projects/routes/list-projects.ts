import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { orgRole, pathId } from '#shared/http/org-access.ts'
import { PageQuery, pageRequest, toPage } from '#shared/http/pagination.ts'
import { route } from '../deps.ts'
import { type Project, ProjectListSchema } from '../lib/project.ts'

type Position = [createdAt: string, id: string]

/** GET /v1/orgs/{orgId}/projects — members; oldest first, keyset-paginated. */
export const listProjects = route({
  method: 'get',
  path: '/v1/orgs/:orgId/projects',
  summary: 'List the projects of an org (members)',
  tag: 'projects',
  auth: 'user',
  query: PageQuery,
  response: { status: 200, description: 'A page of projects', schema: ProjectListSchema },
  errors: ['ORG_NOT_FOUND', 'INVALID_CURSOR'],
  async handler(c, deps) {
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
  },
})
