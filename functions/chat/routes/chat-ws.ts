import { upgradeWebSocket } from '@hono/node-server'
import * as v from 'valibot'
import type { WebSocket } from 'ws'
import { TokenError } from '#shared/auth/errors.ts'
import { ApiError } from '#shared/http/errors.ts'
import { parseInput } from '#shared/http/input.ts'
import { type ChatDeps, route } from '../deps.ts'
import { activeChatOf } from '../lib/chat.ts'
import { CLOSE, SeqSchema } from '../lib/frames.ts'
import { chatMetrics } from '../lib/metrics.ts'
import { type ChatSocket, openChatSocket, type SocketOptions, webSocketSink } from '../lib/ws.ts'

const SocketQuery = v.object({
  after: v.optional(SeqSchema),
  ticket: v.optional(v.pipe(v.string(), v.maxLength(128, 'is not a ticket'))),
})

type Caller =
  | { ok: true; userId: string; expiresAt: string }
  | { ok: false; code: typeof CLOSE.authFailed | typeof CLOSE.chatNotFound }

/**
 * Who is connecting, for which chat. A refusal is not an HTTP status: a browser cannot
 * read the status of a failed handshake, only a close code, so the upgrade is accepted
 * and then closed (1008, 4404). What the client cannot fix by authenticating (keys or
 * tickets unavailable, the database down) is an HTTP 503 before any upgrade.
 */
async function callerOf(
  deps: ChatDeps,
  chatId: string,
  authorization: string | undefined,
  ticket: string | undefined,
): Promise<Caller> {
  let userId: string | undefined
  if (authorization !== undefined) {
    try {
      const principal = await deps.verifier.verifyAuthorization(authorization)
      if (principal.kind === 'user') userId = principal.userId
    } catch (error) {
      if (!(error instanceof TokenError)) throw error
      if (error.code === 'KEYS_UNAVAILABLE') throw unavailable(error.retryAfterSeconds ?? 1)
    }
  } else if (ticket !== undefined) {
    try {
      userId = await deps.tickets.redeem(ticket, chatId)
    } catch (error) {
      deps.log.warn({ err: error }, 'chat ticket not redeemed: ticket store unavailable')
      throw unavailable(1)
    }
  }
  if (userId === undefined) return { ok: false, code: CLOSE.authFailed }
  const chat = await activeChatOf(deps.db, userId, chatId)
  if (!chat) return { ok: false, code: CLOSE.chatNotFound }
  return { ok: true, userId, expiresAt: chat.expires_at }
}

function unavailable(retryAfterSeconds: number): ApiError {
  return new ApiError('UNAVAILABLE', {
    detail: 'Connections cannot be authenticated right now; retry shortly.',
    headers: { 'Retry-After': String(retryAfterSeconds) },
  })
}

/**
 * GET /v1/chats/{chatId}/ws — the chat's WebSocket (API.md "chat"), authenticated by
 * `Authorization: Bearer` or, for browsers, `?ticket=` (POST …/tickets); `?after=<seq>`
 * resumes. The route authenticates itself (auth 'none' to the mounting), because a
 * failure must be a close code, not a 401.
 */
export function chatWebSocketRoute(options: SocketOptions = {}) {
  return route({
    method: 'get',
    path: '/v1/chats/:chatId/ws',
    summary: 'The chat’s WebSocket: action frames in, replies out (upgrade)',
    tag: 'chat',
    auth: 'none',
    query: SocketQuery,
    response: {
      status: 101,
      description:
        'Switching Protocols. Refusals are close codes: 1008 authentication failed, 4404 chat not found, 4429 too many connections.',
    },
    errors: ['VALIDATION_FAILED', 'UNAVAILABLE'],
    async handler(c, deps) {
      const query = parseInput(SocketQuery, c.req.query(), 'query')
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
        throw new ApiError('VALIDATION_FAILED', {
          detail: 'This route is a WebSocket: send an upgrade request.',
          errors: [{ location: 'header.upgrade', message: 'must be websocket' }],
        })
      }
      // Lower case, as pathId() gives every other chat route: the id names the chat's bus
      // channel, buffer and tickets. (Not pathId itself: a bad id is a 4404 close here.)
      const chatId = c.req.param('chatId').toLowerCase()
      const caller = await callerOf(deps, chatId, c.req.header('authorization'), query.ticket)
      // Before the 101: the stream is live from a moment before the client can act.
      const start = caller.ok ? await deps.hub.startOf(chatId, query.after) : undefined
      let socket: ChatSocket | undefined
      return upgradeWebSocket(
        c,
        {
          onOpen(_event, ws) {
            const raw = ws.raw as unknown as WebSocket
            if (!caller.ok) {
              chatMetrics(deps.metrics).refused('ws', caller.code)
              webSocketSink(raw, options).close(caller.code)
              return
            }
            socket = openChatSocket(
              raw,
              {
                chatId,
                userId: caller.userId,
                expiresAt: caller.expiresAt,
                start,
                hub: deps.hub,
                db: deps.db,
                config: deps.config,
                log: deps.log,
              },
              options,
            )
          },
          onMessage(event) {
            socket?.message(event.data)
          },
          onClose(event) {
            socket?.closed(event.code)
          },
        },
        {
          onError: (error: unknown) =>
            deps.log.error({ err: error, chat_id: chatId }, 'chat socket handler failed'),
        },
      )
    },
  })
}

export const chatWebSocket = chatWebSocketRoute()
