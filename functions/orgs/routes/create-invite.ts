import * as v from 'valibot'
import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { once } from '#shared/http/idempotency.ts'
import { orgRole, pathId, requireRole } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { hashInviteCode, newInviteCode } from '../lib/invite-code.ts'
import { InviteSchema } from '../lib/org.ts'

// `{ role? }`, and no body at all means the defaults. An invite can never make an owner.
const Body = v.optional(
  v.object({
    role: v.optional(v.picklist(['member', 'admin'], 'must be member or admin'), 'member'),
  }),
  {},
)

const LIFETIME = '7 days'

/**
 * POST /v1/orgs/{orgId}/invites — admins. The code is in this response only; the
 * database keeps its hash. Single use, expires after 7 days.
 */
export const createInvite = route({
  method: 'post',
  path: '/v1/orgs/:orgId/invites',
  summary: 'Create a single-use invite valid for 7 days (admins)',
  tag: 'orgs',
  auth: 'user',
  body: Body,
  example: { role: 'member' },
  idempotent: true,
  response: { status: 201, description: 'The invite code (shown once)', schema: InviteSchema },
  errors: ['ORG_NOT_FOUND'],
  async handler(c, deps, { body }) {
    const user = currentUser(c)
    const orgId = pathId(c.req.param('orgId'), 'ORG_NOT_FOUND')
    const role = body.role ?? 'member'
    const code = newInviteCode()
    // The invite and the answer a retry with the same Idempotency-Key gets commit together.
    return once(
      c,
      (work) => withUser(deps.db, user.userId, work),
      async (tx) => {
        requireRole(await orgRole(tx, orgId, user.userId), 'admin')
        const [row] = await tx<{ expires_at: string }[]>`
        insert into invites (org_id, code_hash, role, created_by, expires_at)
        values (${orgId}, ${hashInviteCode(code)}, ${role}, ${user.userId},
                now() + ${LIFETIME}::interval)
        returning expires_at`
        return c.json({ code, role, expires_at: (row as { expires_at: string }).expires_at }, 201)
      },
    )
  },
})
