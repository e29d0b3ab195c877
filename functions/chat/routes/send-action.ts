import { randomUUID } from 'node:crypto'
import * as v from 'valibot'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { pathId } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { runAction } from '../lib/actions.ts'
import { touchChat } from '../lib/chat.ts'

const Body = v.object({
  action: v.pipe(v.string('must be a string'), v.maxLength(64, 'must be at most 64 characters')),
  args: v.optional(v.record(v.string(), v.unknown(), 'must be an object')),
})

/**
 * POST /v1/chats/{chatId}/actions — the chat's user, for clients on SSE (or none): the
 * reply goes to every open stream of the chat, wherever it is connected, with the 202's
 * id as its `in_reply_to`.
 */
export const sendAction = route({
  method: 'post',
  path: '/v1/chats/:chatId/actions',
  summary: 'Send an action; its reply arrives on the chat’s streams',
  tag: 'chat',
  auth: 'user',
  body: Body,
  example: { action: 'roll-dice', args: { count: 2, sides: 6 } },
  response: {
    status: 202,
    description: 'Accepted; the reply follows on the streams',
    schema: v.object({ id: v.string() }),
  },
  errors: ['CHAT_NOT_FOUND', 'VALIDATION_FAILED'],
  async handler(c, deps, { body }) {
    const user = currentUser(c)
    const chatId = pathId(c.req.param('chatId'), 'CHAT_NOT_FOUND')
    const chat = deps.config.get('chat')
    const outcome = runAction(chat.actions, body.action, body.args)
    if (!outcome.ok) {
      const unknown = outcome.code === 'UNKNOWN_ACTION'
      throw new ApiError('VALIDATION_FAILED', {
        errors: [
          unknown
            ? { location: 'body.action', message: 'must be an action of the catalog' }
            : {
                location: 'body.args',
                message: 'must be the action’s arguments, within its bounds',
              },
        ],
      })
    }
    const active = await touchChat(deps.db, user.userId, chatId, chat.idle_timeout_seconds)
    if (!active) throw new ApiError('CHAT_NOT_FOUND')
    const id = randomUUID()
    // The slid expiry travels with the reply, to every instance's streams of the chat.
    await deps.hub.publish(
      chatId,
      { in_reply_to: id, action: outcome.action, payload: outcome.payload },
      { expiresAt: active.expires_at, requestId: c.get('requestId') },
    )
    return c.json({ id }, 202)
  },
})
