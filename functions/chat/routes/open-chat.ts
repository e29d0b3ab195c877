import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { once } from '#shared/http/idempotency.ts'
import { pathId } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { CHAT_COLUMNS, type Chat, ChatSchema, chatView } from '../lib/chat.ts'
import { chatMetrics } from '../lib/metrics.ts'

/**
 * POST /v1/projects/{projectId}/chats — members of the project's org. The limit of
 * active chats per user per project is PostgreSQL's (a trigger reading the chat config,
 * serialized per user and project), so concurrent opens on any number of replicas
 * cannot pass it together.
 */
export const openChat = route({
  method: 'post',
  path: '/v1/projects/:projectId/chats',
  summary: 'Open a chat in a project (members)',
  tag: 'chat',
  auth: 'user',
  idempotent: true,
  response: { status: 201, description: 'The chat', schema: ChatSchema },
  errors: ['PROJECT_NOT_FOUND', 'CHAT_LIMIT_REACHED'],
  async handler(c, deps) {
    const user = currentUser(c)
    const projectId = pathId(c.req.param('projectId'), 'PROJECT_NOT_FOUND')
    const idle = deps.config.get('chat').idle_timeout_seconds
    // Set by the work only, which a replay of the Idempotency-Key does not run.
    let opened = false
    const response = await once(
      c,
      (work) => withUser(deps.db, user.userId, work),
      async (tx) => {
        // RLS shows the projects of the caller's orgs only.
        const [project] = await tx`select 1 from projects where id = ${projectId}`
        if (!project) throw new ApiError('PROJECT_NOT_FOUND')
        const [row] = await tx<Chat[]>`
          insert into chat_sessions (user_id, project_id, expires_at)
          values (${user.userId}, ${projectId}, now() + make_interval(secs => ${idle}))
          returning ${tx(CHAT_COLUMNS)}`.catch(limitReached)
        const chat = row as Chat
        opened = true
        return c.json(chatView(chat), 201, { Location: `/v1/chats/${chat.id}` })
      },
    )
    if (opened) chatMetrics(deps.metrics).chatOpened()
    return response
  },
})

/** The limit trigger's violation as the API's 409. */
function limitReached(error: unknown): never {
  const pg = error as { code?: string; constraint_name?: string; message?: string }
  if (pg.code === '23514' && pg.constraint_name === 'chat_sessions_active_limit') {
    throw new ApiError('CHAT_LIMIT_REACHED', { detail: pg.message })
  }
  throw error
}
