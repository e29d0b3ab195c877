import * as v from 'valibot'
import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { orgRole, pathId, type Role, RoleSchema, requireRole } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { lockOwners, MemberSchema, ownerCount } from '../lib/org.ts'

// Only the role; user_id, org_id, joined_at in the body are dropped.
const Body = v.object({ role: RoleSchema })

/** PATCH /v1/orgs/{orgId}/members/{userId} — owners change roles; never the last owner's. */
export const updateMember = route({
  method: 'patch',
  path: '/v1/orgs/:orgId/members/:userId',
  summary: "Change a member's role (owners)",
  tag: 'orgs',
  auth: 'user',
  body: Body,
  example: { role: 'admin' },
  response: { status: 200, description: 'The membership', schema: MemberSchema },
  errors: ['ORG_NOT_FOUND', 'MEMBER_NOT_FOUND', 'LAST_OWNER'],
  async handler(c, deps, { body }) {
    const user = currentUser(c)
    const orgId = pathId(c.req.param('orgId'), 'ORG_NOT_FOUND')
    const targetParam = c.req.param('userId')
    const member = await withUser(deps.db, user.userId, async (tx) => {
      // The lock comes first, so the caller's own role is read after any concurrent
      // demotion of them has committed.
      await lockOwners(tx, orgId)
      requireRole(await orgRole(tx, orgId, user.userId), 'owner')
      const target = pathId(targetParam, 'MEMBER_NOT_FOUND')
      const [current] = await tx<{ role: Role }[]>`
        select role from memberships where org_id = ${orgId} and user_id = ${target}`
      if (!current) throw new ApiError('MEMBER_NOT_FOUND')
      if (current.role === 'owner' && body.role !== 'owner' && (await ownerCount(tx, orgId)) < 2) {
        throw new ApiError('LAST_OWNER', { detail: 'Make another member an owner first.' })
      }
      const [row] = await tx<{ user_id: string; handle: string; role: Role; joined_at: string }[]>`
        with changed as (
          update memberships set role = ${body.role}
           where org_id = ${orgId} and user_id = ${target}
          returning user_id, role, created_at)
        select ch.user_id, u.handle, ch.role, ch.created_at as joined_at
          from changed ch join users u on u.id = ch.user_id`
      return row
    })
    return c.json(member)
  },
})
