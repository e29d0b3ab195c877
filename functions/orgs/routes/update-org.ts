import * as v from 'valibot'
import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { EntityName } from '#shared/http/names.ts'
import { orgRole, pathId, requireRole } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { type Org, OrgSchema } from '../lib/org.ts'

// Only the name can change; status, id, created_by in the body are dropped, never written.
const Body = v.object({ name: EntityName })

/** PATCH /v1/orgs/{orgId} — admins rename the org. */
export const updateOrg = route({
  method: 'patch',
  path: '/v1/orgs/:orgId',
  summary: 'Rename an org (admins)',
  tag: 'orgs',
  auth: 'user',
  body: Body,
  example: { name: 'Acme Inc.' },
  response: { status: 200, description: 'The org', schema: OrgSchema },
  errors: ['ORG_NOT_FOUND'],
  async handler(c, deps, { body }) {
    const user = currentUser(c)
    const id = pathId(c.req.param('orgId'), 'ORG_NOT_FOUND')
    const org = await withUser(deps.db, user.userId, async (tx) => {
      const role = await orgRole(tx, id, user.userId)
      requireRole(role, 'admin')
      const [row] = await tx<Omit<Org, 'role'>[]>`
        update orgs set name = ${body.name} where id = ${id}
        returning id, name, status, created_at`
      return { ...(row as Omit<Org, 'role'>), role }
    })
    return c.json(org)
  },
})
