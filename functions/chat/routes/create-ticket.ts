import * as v from 'valibot'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { pathId } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { activeChatOf } from '../lib/chat.ts'

const TicketSchema = v.object({ ticket: v.string(), expires_in: v.number() })

/**
 * POST /v1/chats/{chatId}/tickets — the chat's user. A browser's WebSocket cannot send
 * an Authorization header: it connects with `?ticket=`, good once, for 30 s, for this
 * user and chat only.
 */
export const createTicket = route({
  method: 'post',
  path: '/v1/chats/:chatId/tickets',
  summary: 'A one-time ticket to open this chat’s WebSocket (browsers)',
  tag: 'chat',
  auth: 'user',
  response: { status: 201, description: 'The ticket', schema: TicketSchema },
  errors: ['CHAT_NOT_FOUND'],
  async handler(c, deps) {
    const user = currentUser(c)
    const chatId = pathId(c.req.param('chatId'), 'CHAT_NOT_FOUND')
    if (!(await activeChatOf(deps.db, user.userId, chatId))) throw new ApiError('CHAT_NOT_FOUND')
    c.header('Cache-Control', 'no-store')
    return c.json(await deps.tickets.issue(user.userId, chatId), 201)
  },
})
