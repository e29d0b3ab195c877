import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { orgRole, pathId, type Role } from '#shared/http/org-access.ts'
import { PageQuery, pageRequest, toPage } from '#shared/http/pagination.ts'
import { route } from '../deps.ts'
import { MemberSchema, page } from '../lib/org.ts'

interface Member {
  user_id: string
  handle: string
  role: Role
  joined_at: string
}
type Position = [joinedAt: string, userId: string]

/** GET /v1/orgs/{orgId}/members — members; in joining order, keyset-paginated. */
export const listMembers = route({
  method: 'get',
  path: '/v1/orgs/:orgId/members',
  summary: 'List the members of an org (members)',
  tag: 'orgs',
  auth: 'user',
  query: PageQuery,
  response: { status: 200, description: 'A page of members', schema: page(MemberSchema) },
  errors: ['ORG_NOT_FOUND', 'INVALID_CURSOR'],
  async handler(c, deps) {
    const user = currentUser(c)
    const orgId = pathId(c.req.param('orgId'), 'ORG_NOT_FOUND')
    const { limit, after } = pageRequest<Position>(c.req.query(), deps.cursorSecret)
    const rows = await withUser(deps.db, user.userId, async (tx) => {
      await orgRole(tx, orgId, user.userId)
      return tx<Member[]>`
        select m.user_id, u.handle, m.role, m.created_at as joined_at
          from memberships m join users u on u.id = m.user_id
         where m.org_id = ${orgId}
           ${after ? tx`and (m.created_at, m.user_id) > (${after[0]}::timestamptz, ${after[1]}::uuid)` : tx``}
         order by m.created_at, m.user_id
         limit ${limit + 1}`
    })
    return c.json(toPage(rows, limit, (m): Position => [m.joined_at, m.user_id], deps.cursorSecret))
  },
})
