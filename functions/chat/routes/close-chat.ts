import { withUser } from '#shared/db/tenant.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { pathId } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { chatMetrics } from '../lib/metrics.ts'

/**
 * DELETE /v1/chats/{chatId} — the chat's user. Frees its slot and closes its open
 * streams, on every instance, with 4404. Closing a chat that is closed or expired
 * already is a 204 too: the outcome the caller asked for holds.
 */
export const closeChat = route({
  method: 'delete',
  path: '/v1/chats/:chatId',
  summary: 'Close one of your chats',
  tag: 'chat',
  auth: 'user',
  response: { status: 204, description: 'Closed' },
  errors: ['CHAT_NOT_FOUND'],
  async handler(c, deps) {
    const user = currentUser(c)
    const chatId = pathId(c.req.param('chatId'), 'CHAT_NOT_FOUND')
    const [found, closed] = await withUser(deps.db, user.userId, (tx) => [
      tx`select 1 from chat_sessions where id = ${chatId}`,
      tx`update chat_sessions set status = 'closed', closed_at = now()
          where id = ${chatId} and status = 'active' returning 1`,
    ])
    if (found.length === 0) throw new ApiError('CHAT_NOT_FOUND')
    if (closed.length > 0) {
      chatMetrics(deps.metrics).chatClosed()
      await deps.hub.closeChat(chatId)
    }
    return c.body(null, 204)
  },
})
