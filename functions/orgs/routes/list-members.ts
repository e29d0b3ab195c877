import type { Hono } from 'hono'
import { withUser } from '#shared/db/tenant.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { pageRequest, toPage } from '#shared/http/pagination.ts'
import type { OrgsDeps } from '../deps.ts'
import { orgRole, pathId, type Role } from '../lib/org.ts'

interface Member {
  user_id: string
  handle: string
  role: Role
  joined_at: string
}
type Position = [joinedAt: string, userId: string]

/** GET /v1/orgs/{orgId}/members — members; in joining order, keyset-paginated. */
export function registerListMembers(app: Hono<AppEnv>, deps: OrgsDeps): void {
  app.get('/v1/orgs/:orgId/members', async (c) => {
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
  })
}
