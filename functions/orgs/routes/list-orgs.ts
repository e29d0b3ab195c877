import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { PageQuery, pageRequest, toPage } from '#shared/http/pagination.ts'
import { route } from '../deps.ts'
import type { Org } from '../lib/org.ts'
import { OrgSchema, page } from '../lib/org.ts'

type Position = [createdAt: string, id: string]

/** GET /v1/orgs — the caller's orgs with the caller's role; oldest first, keyset-paginated. */
export const listOrgs = route({
  method: 'get',
  path: '/v1/orgs',
  summary: "The caller's orgs, each with the caller's role",
  tag: 'orgs',
  auth: 'user',
  query: PageQuery,
  response: { status: 200, description: 'A page of orgs', schema: page(OrgSchema) },
  errors: ['INVALID_CURSOR'],
  async handler(c, deps) {
    const user = currentUser(c)
    const { limit, after } = pageRequest<Position>(c.req.query(), deps.cursorSecret)
    const rows = await withUser(
      deps.db,
      user.userId,
      (tx) => tx<Org[]>`
      select o.id, o.name, o.status, m.role, o.created_at
        from memberships m join orgs o on o.id = m.org_id
       where m.user_id = ${user.userId}
         ${after ? tx`and (o.created_at, o.id) > (${after[0]}::timestamptz, ${after[1]}::uuid)` : tx``}
       order by o.created_at, o.id
       limit ${limit + 1}`,
    )
    return c.json(toPage(rows, limit, (o): Position => [o.created_at, o.id], deps.cursorSecret))
  },
})
