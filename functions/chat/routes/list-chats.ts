import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { pathId } from '#shared/http/org-access.ts'
import { PageQuery, pageRequest, toPage } from '#shared/http/pagination.ts'
import { route } from '../deps.ts'
import { type Chat, ChatListSchema, chatView } from '../lib/chat.ts'

type Position = [createdAt: string, id: string]

/**
 * GET /v1/projects/{projectId}/chats — members; the caller's own chats only (RLS), oldest
 * first, keyset-paginated. An active chat past its expiry is shown as expired.
 */
export const listChats = route({
  method: 'get',
  path: '/v1/projects/:projectId/chats',
  summary: 'List your chats in a project',
  tag: 'chat',
  auth: 'user',
  query: PageQuery,
  response: { status: 200, description: 'A page of your chats', schema: ChatListSchema },
  errors: ['PROJECT_NOT_FOUND', 'INVALID_CURSOR'],
  async handler(c, deps) {
    const user = currentUser(c)
    const projectId = pathId(c.req.param('projectId'), 'PROJECT_NOT_FOUND')
    const { limit, after } = pageRequest<Position>(c.req.query(), deps.cursorSecret)
    const [project, rows] = await withUser(deps.db, user.userId, (tx) => [
      tx`select 1 from projects where id = ${projectId}`,
      tx<Chat[]>`
        select id, project_id, user_id, created_at, expires_at,
               case when status = 'active' and expires_at <= now() then 'expired' else status end
                 as status
          from chat_sessions
         where project_id = ${projectId}
           ${after ? tx`and (created_at, id) > (${after[0]}::timestamptz, ${after[1]}::uuid)` : tx``}
         order by created_at, id
         limit ${limit + 1}`,
    ])
    if (project.length === 0) throw new ApiError('PROJECT_NOT_FOUND')
    return c.json(
      toPage(
        rows.map(chatView),
        limit,
        (chat): Position => [chat.created_at, chat.id],
        deps.cursorSecret,
      ),
    )
  },
})
