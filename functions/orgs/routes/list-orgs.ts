import type { Hono } from 'hono'
import { withUser } from '#shared/db/tenant.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { pageRequest, toPage } from '#shared/http/pagination.ts'
import type { OrgsDeps } from '../deps.ts'
import type { Org } from '../lib/org.ts'

type Position = [createdAt: string, id: string]

/** GET /v1/orgs — the caller's orgs with the caller's role; oldest first, keyset-paginated. */
export function registerListOrgs(app: Hono<AppEnv>, deps: OrgsDeps): void {
  app.get('/v1/orgs', async (c) => {
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
  })
}
