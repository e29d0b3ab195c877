import type { Hono } from 'hono'
import type { AppEnv } from '#shared/http/app-env.ts'
import { functionApp } from '#shared/http/mount.ts'
import type { OrgsDeps } from './deps.ts'
import { orgMetrics } from './lib/metrics.ts'
import { acceptInvite } from './routes/accept-invite.ts'
import { createInvite } from './routes/create-invite.ts'
import { createOrg } from './routes/create-org.ts'
import { deleteOrg } from './routes/delete-org.ts'
import { getOrg } from './routes/get-org.ts'
import { listMembers } from './routes/list-members.ts'
import { listOrgs } from './routes/list-orgs.ts'
import { removeMember } from './routes/remove-member.ts'
import { updateMember } from './routes/update-member.ts'
import { updateOrg } from './routes/update-org.ts'

/** The orgs function's route table. */
export const ORGS_ROUTES = [
  createOrg,
  listOrgs,
  getOrg,
  updateOrg,
  deleteOrg,
  listMembers,
  updateMember,
  removeMember,
  createInvite,
  acceptInvite,
]

/** The orgs function's app. Opens no sockets and reads no environment. */
export function createOrgsApp(deps: OrgsDeps): Hono<AppEnv> {
  // Registered now, so the business series exist (at 0) from the first scrape on.
  orgMetrics(deps.metrics)
  return functionApp(ORGS_ROUTES, deps)
}
