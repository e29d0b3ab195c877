import type { Hono } from 'hono'
import * as v from 'valibot'
import type { AppEnv } from '#shared/http/app-env.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { jsonBody } from '#shared/http/input.ts'
import { EntityName } from '#shared/http/names.ts'
import type { OrgsDeps } from '../deps.ts'
import { createOrgSaga } from '../lib/saga.ts'

// Only the name; status, id, created_by and the like in the body are dropped.
export const Body = v.object({ name: EntityName })

/**
 * POST /v1/orgs — any user; the caller becomes the owner. The creation saga decides the
 * status: `committed`, or `failed` after its compensations ran. Both answer 201 with the
 * org as created, because the org record exists either way and API.md has the failure
 * "read failed" rather than name an error; with an Idempotency-Key, a retry replays
 * that answer instead of running the saga a second time.
 */
export function registerCreateOrg(app: Hono<AppEnv>, deps: OrgsDeps): void {
  app.post('/v1/orgs', async (c) => {
    const user = currentUser(c)
    const body = await jsonBody(c, Body)
    const org = await createOrgSaga(
      {
        db: deps.db,
        provisioner: deps.provisioner,
        log: c.get('log'),
        ...(deps.sagaHooks ? { hooks: deps.sagaHooks } : {}),
      },
      user.userId,
      body.name,
    )
    return c.json(org, 201, { Location: `/v1/orgs/${org.id}` })
  })
}
