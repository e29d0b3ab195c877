import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { pathId } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { type Org, OrgSchema } from '../lib/org.ts'

/** GET /v1/orgs/{orgId} — members; anyone else gets the same 404 as for a random id. */
export const getOrg = route({
  method: 'get',
  path: '/v1/orgs/:orgId',
  summary: 'Read an org (members)',
  tag: 'orgs',
  auth: 'user',
  response: { status: 200, description: 'The org', schema: OrgSchema },
  errors: ['ORG_NOT_FOUND'],
  async handler(c, deps) {
    const user = currentUser(c)
    const id = pathId(c.req.param('orgId'), 'ORG_NOT_FOUND')
    // One statement returned unawaited: the whole scoped read is one round trip.
    const [org] = await withUser(
      deps.db,
      user.userId,
      (tx) => tx<Org[]>`
      select o.id, o.name, o.status, m.role, o.created_at
        from orgs o join memberships m on m.org_id = o.id and m.user_id = ${user.userId}
       where o.id = ${id}`,
    )
    if (!org) throw new ApiError('ORG_NOT_FOUND')
    return c.json(org)
  },
})
