import * as v from 'valibot'
import { asSystem } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { once } from '#shared/http/idempotency.ts'
import { type Role, RoleSchema } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { hashInviteCode, isInviteCode } from '../lib/invite-code.ts'
import { Id } from '../lib/org.ts'

/**
 * POST /v1/invites/{code}/accept — any user. asSystem because the invitee is not yet a
 * member and cannot see the invite or insert their membership under RLS.
 *
 * Single use under concurrency: the invite row is locked (FOR UPDATE) before it is
 * checked, so of two acceptances the second waits, then sees `used_at` and gets 410.
 * An existing member gets 409 and the invite stays unused, for whom it was meant.
 */
export const acceptInvite = route({
  method: 'post',
  path: '/v1/invites/:code/accept',
  summary: 'Join an org with an invite code',
  tag: 'orgs',
  auth: 'user',
  idempotent: true,
  response: {
    status: 200,
    description: 'The membership',
    schema: v.object({ org_id: Id, role: RoleSchema }),
  },
  errors: ['INVITE_NOT_FOUND', 'INVITE_EXPIRED', 'ALREADY_MEMBER'],
  async handler(c, deps) {
    const user = currentUser(c)
    const code = c.req.param('code')
    if (!isInviteCode(code)) throw new ApiError('INVITE_NOT_FOUND')
    // The membership and the answer a retry with the same Idempotency-Key gets commit together.
    return once(
      c,
      (work) => asSystem(deps.db, 'invite-acceptance', work),
      async (tx) => {
        const [invite] = await tx<{ id: string; org_id: string; role: Role; spent: boolean }[]>`
        select id, org_id, role, (used_at is not null or expires_at <= now()) as spent
          from invites where code_hash = ${hashInviteCode(code)}
           for update`
        if (!invite) throw new ApiError('INVITE_NOT_FOUND')
        if (invite.spent) throw new ApiError('INVITE_EXPIRED')
        // ON CONFLICT: a concurrent acceptance of another invite to the same org by the
        // same user is ALREADY_MEMBER too, not a unique-violation 500.
        const joined = await tx`
        insert into memberships (org_id, user_id, role)
        values (${invite.org_id}, ${user.userId}, ${invite.role})
        on conflict (org_id, user_id) do nothing
        returning 1`
        if (joined.length === 0) throw new ApiError('ALREADY_MEMBER')
        await tx`update invites set used_at = now(), used_by = ${user.userId} where id = ${invite.id}`
        return c.json({ org_id: invite.org_id, role: invite.role })
      },
    )
  },
})
