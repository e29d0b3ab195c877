import type { Hono } from 'hono'
import * as v from 'valibot'
import { withUser } from '#shared/db/tenant.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { jsonBody } from '#shared/http/input.ts'
import { EntityName } from '#shared/http/names.ts'
import type { OrgsDeps } from '../deps.ts'
import { type Org, orgRole, pathId, requireRole } from '../lib/org.ts'

// Only the name can change; status, id, created_by in the body are dropped, never written.
export const Body = v.object({ name: EntityName })

/** PATCH /v1/orgs/{orgId} — admins rename the org. */
export function registerUpdateOrg(app: Hono<AppEnv>, deps: OrgsDeps): void {
  app.patch('/v1/orgs/:orgId', async (c) => {
    const user = currentUser(c)
    const id = pathId(c.req.param('orgId'), 'ORG_NOT_FOUND')
    const body = await jsonBody(c, Body)
    const org = await withUser(deps.db, user.userId, async (tx) => {
      const role = await orgRole(tx, id, user.userId)
      requireRole(role, 'admin')
      const [row] = await tx<Omit<Org, 'role'>[]>`
        update orgs set name = ${body.name} where id = ${id}
        returning id, name, status, created_at`
      return { ...(row as Omit<Org, 'role'>), role }
    })
    return c.json(org)
  })
}
