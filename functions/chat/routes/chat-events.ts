import type { HttpBindings } from '@hono/node-server'
import * as v from 'valibot'
import { currentUser } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { parseInput } from '#shared/http/input.ts'
import { pathId } from '#shared/http/org-access.ts'
import { route } from '../deps.ts'
import { activeChatOf } from '../lib/chat.ts'
import { SeqSchema } from '../lib/frames.ts'
import type { AttachedStream } from '../lib/hub.ts'
import { sseStream } from '../lib/sse.ts'

const EventsHeaders = v.object({ 'last-event-id': v.optional(SeqSchema) })

export interface EventsOptions {
  heartbeatMs?: number
  closeGraceMs?: number
}

/**
 * GET /v1/chats/{chatId}/events — the chat's replies as Server-Sent Events, for clients
 * that send actions with POST …/actions (API.md "chat"). `Last-Event-ID` (what an
 * EventSource sends when it reconnects) resumes after that reply. The chat is checked
 * before the stream starts (404 CHAT_NOT_FOUND); once it runs, how it ends is a `close`
 * event with the WebSocket close code (4404, 1012, 1013, 4429).
 */
export function chatEventsRoute(options: EventsOptions = {}) {
  return route({
    method: 'get',
    path: '/v1/chats/:chatId/events',
    summary: 'The chat’s replies as Server-Sent Events',
    tag: 'chat',
    auth: 'user',
    response: {
      status: 200,
      description:
        'text/event-stream: `reply` events (id = seq), `resync`, heartbeat comments, and a last `close` event',
    },
    errors: ['CHAT_NOT_FOUND', 'VALIDATION_FAILED'],
    async handler(c, deps) {
      const user = currentUser(c)
      const chatId = pathId(c.req.param('chatId'), 'CHAT_NOT_FOUND')
      const headers = parseInput(
        EventsHeaders,
        { 'last-event-id': c.req.header('last-event-id') },
        'header',
      )
      const chat = await activeChatOf(deps.db, user.userId, chatId)
      if (!chat) throw new ApiError('CHAT_NOT_FOUND')
      // Before the 200: the stream is live from a moment before the client can act.
      const start = await deps.hub.startOf(chatId, headers['last-event-id'])
      // Absent under app.request() (tests); present when served by @hono/node-server.
      const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing
      let attached: AttachedStream | undefined
      const { body, sink } = sseStream({
        ...options,
        ...(outgoing ? { outgoing } : {}),
        // 1001, "going away": the client left.
        onCancel: () => attached?.detach(1001),
      })
      attached = deps.hub.attach(
        { chatId, userId: user.userId, expiresAt: chat.expires_at, sink },
        start,
      )
      return c.body(body, 200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        'X-Accel-Buffering': 'no',
      })
    },
  })
}

export const chatEvents = chatEventsRoute()
