import * as v from 'valibot'
import { defineFunction, SCALE_TO_ZERO } from '#shared/runtime/definition.ts'
import { CHAT_ROUTES, createChatApp } from './app.ts'
import type { ChatDeps } from './deps.ts'
import { activeChatOf } from './lib/chat.ts'
import { ChatHub } from './lib/hub.ts'
import { InProcessReplyLog, RedisReplyLog } from './lib/replies.ts'
import { InProcessTicketStore, RedisTicketStore } from './lib/tickets.ts'
import { createChatWebSocketServer } from './lib/ws.ts'

/**
 * A request's whole budget on Knative (`timeoutSeconds`): a stream is one request, so no
 * stream may outlive it. 600 s is Knative's default max-revision-timeout-seconds.
 */
const TIMEOUT_SECONDS = 600

/**
 * The chat function (DESIGN.md §5): canned-action chats over WebSocket and SSE, replies
 * fanned out across instances through the bus and kept briefly for resume. Always on:
 * a stream cannot wait for a cold start, and every open stream holds its instance.
 */
export const chat = defineFunction({
  name: 'chat',
  description: 'Canned-action chats over WebSocket and SSE, fanned out and resumable',
  services: ['chat', 'ratelimits'],
  env: {
    // Below the revision's timeoutSeconds, jittered ±10 % per stream: the server closes
    // with 1012 and the client resumes, before Knative cuts the request mid-stream.
    CHAT_MAX_CONNECTION_AGE_SECONDS: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^\d+(\.\d+)?$/, 'must be a number of seconds'),
        v.transform(Number),
        v.minValue(1, 'must be at least 1 second'),
        v.maxValue(
          Math.floor(TIMEOUT_SECONDS / 1.1) - 1,
          `must stay below the revision timeout (${TIMEOUT_SECONDS} s) with its 10 % jitter`,
        ),
      ),
      '540',
    ),
  },
  routes: CHAT_ROUTES,
  paths: [
    { type: 'Exact', value: '/v1/chat/actions' },
    { type: 'RegularExpression', value: '/v1/projects/[^/]+/chats/?' },
    { type: 'PathPrefix', value: '/v1/chats' },
  ],
  profile: {
    ...SCALE_TO_ZERO,
    minScale: 1,
    maxScale: 10,
    // Every open stream is a request in flight to Knative: no hard limit (the per-user
    // cap bounds them), and the autoscaler adds an instance per thousand.
    target: 1_000,
    containerConcurrency: 0,
    timeoutSeconds: TIMEOUT_SECONDS,
    responseStartTimeoutSeconds: 10,
    // Streams send a heartbeat every 15 s (WebSocket ping, SSE comment).
    idleTimeoutSeconds: 60,
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
  },
  prepare: (base): ChatDeps => {
    const ttlSeconds = () => base.config.get('chat').idle_timeout_seconds
    // With Redis, the ring buffer and tickets every instance shares; without (npm start
    // alone), this process's own.
    const replies = base.redis
      ? new RedisReplyLog(base.redis, { ttlSeconds })
      : new InProcessReplyLog({ ttlSeconds })
    const tickets = base.redis ? new RedisTicketStore(base.redis) : new InProcessTicketStore()
    const hub = new ChatHub({
      bus: base.bus,
      replies,
      config: base.config,
      log: base.log,
      metrics: base.metrics,
      expiryOf: async (userId, chatId) => (await activeChatOf(base.db, userId, chatId))?.expires_at,
      maxConnectionAgeMs: base.env.CHAT_MAX_CONNECTION_AGE_SECONDS * 1000,
    })
    return { ...base, hub, tickets }
  },
  build: createChatApp,
  connections: (deps) => ({
    websocket: createChatWebSocketServer(),
    drain: () => deps.hub.drain(),
  }),
})
