import * as v from 'valibot'
import { currentUser } from '#shared/http/authenticate.ts'
import { begin, finish, started } from '#shared/http/idempotency.ts'
import { EntityName } from '#shared/http/names.ts'
import { route } from '../deps.ts'
import { OrgSchema } from '../lib/org.ts'
import { createOrgSaga } from '../lib/saga.ts'

// Only the name; status, id, created_by and the like in the body are dropped.
const Body = v.object({ name: EntityName })

/**
 * POST /v1/orgs — any user; the caller becomes the owner. The creation saga decides the
 * status: `committed`, or `failed` after its compensations ran. Both answer 201 with the
 * org as created, because the org record exists either way and API.md has the failure
 * "read failed" rather than name an error. With an Idempotency-Key the saga claims the
 * key in its first transaction and stores this answer in its last, so a retry replays
 * it, or resumes a saga whose process died, instead of creating a second org.
 */
export const createOrg = route({
  method: 'post',
  path: '/v1/orgs',
  summary:
    'Create an org; the caller is its owner (a saga: status committed, or failed and compensated)',
  tag: 'orgs',
  auth: 'user',
  body: Body,
  example: { name: 'Acme' },
  idempotent: true,
  response: { status: 201, description: 'The org', schema: OrgSchema },
  errors: [],
  async handler(c, deps, { body }) {
    const user = currentUser(c)
    const answer = (org: { id: string }) => c.json(org, 201, { Location: `/v1/orgs/${org.id}` })
    // What an earlier request with the key started and this one finished is its answer.
    const replayed = (response: Response) => {
      response.headers.set('Idempotent-Replayed', 'true')
      return response
    }
    const outcome = await createOrgSaga(
      {
        db: deps.db,
        provisioner: deps.provisioner,
        log: c.get('log'),
        metrics: deps.metrics,
        ...(deps.sagaHooks ? { hooks: deps.sagaHooks } : {}),
      },
      user.userId,
      body.name,
      {
        begin: (tx) => begin(c, tx),
        started: (tx, sagaId) => started(c, tx, sagaId),
        finish: (tx, org) => finish(c, tx, answer(org)),
      },
    )
    if ('replay' in outcome) return outcome.replay
    return outcome.resumed ? replayed(answer(outcome.org)) : answer(outcome.org)
  },
})
