import type { Hono } from 'hono'
import type { AppEnv } from '#shared/http/app-env.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { idempotency } from '#shared/http/idempotency.ts'
import { createApp } from '#shared/http/platform.ts'
import { protectUserRoutes } from '#shared/http/user-routes.ts'
import type { OrgsDeps } from './deps.ts'
import { registerAcceptInvite } from './routes/accept-invite.ts'
import { registerCreateInvite } from './routes/create-invite.ts'
import { registerCreateOrg } from './routes/create-org.ts'
import { registerDeleteOrg } from './routes/delete-org.ts'
import { registerGetOrg } from './routes/get-org.ts'
import { registerListMembers } from './routes/list-members.ts'
import { registerListOrgs } from './routes/list-orgs.ts'
import { registerRemoveMember } from './routes/remove-member.ts'
import { registerUpdateMember } from './routes/update-member.ts'
import { registerUpdateOrg } from './routes/update-org.ts'

/** The orgs function: its route table. Opens no sockets and reads no environment. */
export function createOrgsApp(deps: OrgsDeps): Hono<AppEnv> {
  const app = createApp({ log: deps.log, ...(deps.metrics ? { metrics: deps.metrics } : {}) })
  protectUserRoutes(app, deps)
  // The POST routes that create something (an org, an invite, a membership).
  const idempotent = idempotency({
    db: deps.db,
    userOf: (c) => currentUser(c).userId,
    secret: deps.cursorSecret,
  })
  app.post('/v1/orgs', idempotent)
  app.post('/v1/orgs/:orgId/invites', idempotent)
  app.post('/v1/invites/:code/accept', idempotent)

  registerCreateOrg(app, deps)
  registerListOrgs(app, deps)
  registerGetOrg(app, deps)
  registerUpdateOrg(app, deps)
  registerDeleteOrg(app, deps)
  registerListMembers(app, deps)
  registerUpdateMember(app, deps)
  registerRemoveMember(app, deps)
  registerCreateInvite(app, deps)
  registerAcceptInvite(app, deps)
  return app
}
