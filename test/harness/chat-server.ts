import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, inject } from 'vitest'
import { WebSocket } from 'ws'
import type { ChatDeps } from '#functions/chat/deps.ts'
import { activeChatOf } from '#functions/chat/lib/chat.ts'
import { ChatHub, type ChatHubOptions } from '#functions/chat/lib/hub.ts'
import { RedisReplyLog } from '#functions/chat/lib/replies.ts'
import type { ReplyLog } from '#functions/chat/lib/streams.ts'
import { RedisTicketStore } from '#functions/chat/lib/tickets.ts'
import { createChatWebSocketServer, type SocketOptions } from '#functions/chat/lib/ws.ts'
import { chatEventsRoute, type EventsOptions } from '#functions/chat/routes/chat-events.ts'
import { chatWebSocketRoute } from '#functions/chat/routes/chat-ws.ts'
import { createTicket } from '#functions/chat/routes/create-ticket.ts'
import { sendAction } from '#functions/chat/routes/send-action.ts'
import { COMMAND_CONNECTION_OPTIONS, createRedisBus } from '#shared/bus/redis-bus.ts'
import { ConfigCache } from '#shared/config/cache.ts'
import type { ConfigOf } from '#shared/config/schemas.ts'
import { Readiness } from '#shared/http/health.ts'
import { functionApp } from '#shared/http/mount.ts'
import { type Served, serve } from '#shared/http/serve.ts'
import { createLogger, type Logger } from '#shared/log.ts'
import { InProcessRateLimiter } from '#shared/ratelimit/limiter.ts'
import { createTestAuth, type TestAuth } from './auth.ts'
import type { TestDatabase } from './database.ts'

/**
 * For the stream tests (not a test itself): the chat's stream routes, with the ticket
 * and action routes they work with, built from deps made here as the function's process
 * would make them — the test database, the run's Redis (ring buffer, tickets, bus) —
 * and served by serve() on a free port with the `ws` server, so that clients speak real
 * WebSocket and SSE to it.
 */

export interface ChatServer {
  url: string
  wsUrl: string
  deps: ChatDeps
  hub: ChatHub
  config: ConfigCache<'chat' | 'ratelimits'>
  metrics: Registry
  served: Served
  /** Applies a changed chat config to the server's cache at once. */
  setChat(change: Partial<ConfigOf<'chat'>>): void
  close(): Promise<void>
}

export interface ServerOptions {
  hub?: Partial<Pick<ChatHubOptions, 'maxBufferedBytes' | 'maxConnectionAgeMs'>>
  socket?: SocketOptions
  events?: EventsOptions
  log?: Logger
  /** Wraps the hub's reply log (a slow one, say). */
  replies?: (log: ReplyLog) => ReplyLog
}

export async function startChatServer(
  db: TestDatabase,
  auth: TestAuth,
  options: ServerOptions = {},
): Promise<ChatServer> {
  const log = options.log ?? createLogger('chat-streams-test', { level: 'silent' })
  const redisUrl = inject('redisUrl')
  const redis = new Redis(redisUrl, COMMAND_CONNECTION_OPTIONS)
  redis.on('error', () => {})
  const bus = await createRedisBus({ url: redisUrl, publisher: redis, log })
  const config = new ConfigCache(db.app, ['chat', 'ratelimits'] as const, log)
  await config.load()
  const metrics = new Registry()
  const hub = new ChatHub({
    bus,
    replies: (options.replies ?? ((log) => log))(
      new RedisReplyLog(redis, { ttlSeconds: () => config.get('chat').idle_timeout_seconds }),
    ),
    config,
    log,
    metrics,
    expiryOf: async (userId, chatId) => (await activeChatOf(db.app, userId, chatId))?.expires_at,
    ...options.hub,
  })
  const deps: ChatDeps = {
    db: db.app,
    config,
    verifier: auth.verifier,
    limiter: new InProcessRateLimiter(),
    log,
    cursorSecret: crypto.getRandomValues(new Uint8Array(32)),
    bus,
    redis,
    hub,
    tickets: new RedisTicketStore(redis),
    metrics,
  }
  const app = functionApp(
    [createTicket, sendAction, chatWebSocketRoute(options.socket), chatEventsRoute(options.events)],
    deps,
  )
  const readiness = new Readiness()
  readiness.ready()
  const served = await serve(app, {
    port: 0,
    hostname: '127.0.0.1',
    log,
    readiness,
    websocket: { server: createChatWebSocketServer() },
    onDrain: () => hub.drain(),
    signals: [],
    exit: () => {},
  })
  let closed = false
  return {
    url: `http://127.0.0.1:${served.port}`,
    wsUrl: `ws://127.0.0.1:${served.port}`,
    deps,
    hub,
    config,
    metrics,
    served,
    setChat(change) {
      const version = (config.versions().chat ?? 0) + 1
      if (!config.apply('chat', version, { ...config.get('chat'), ...change })) {
        throw new Error('the chat config change was refused')
      }
    },
    async close() {
      if (closed) return
      closed = true
      await served.shutdown('test over')
      await bus.close()
      redis.disconnect()
    },
  }
}

/** A server for the whole file (beforeAll/afterAll), and the auth its tokens use. */
export function useChatServer(db: TestDatabase, options: ServerOptions = {}) {
  let server: ChatServer | undefined
  let auth: TestAuth | undefined
  beforeAll(async () => {
    auth = await createTestAuth()
    server = await startChatServer(db, auth, options)
  })
  afterAll(async () => {
    await server?.close()
  })
  return {
    get server(): ChatServer {
      if (!server) throw new Error('useChatServer(): the server exists from beforeAll on')
      return server
    },
    get auth(): TestAuth {
      if (!auth) throw new Error('useChatServer(): the auth exists from beforeAll on')
      return auth
    },
  }
}

/** A WebSocket client that records every frame and how it closed. */
export class Client {
  readonly ws: WebSocket
  // biome-ignore lint/suspicious/noExplicitAny: frames are checked field by field
  readonly frames: any[] = []
  readonly raw: string[] = []
  readonly opened: Promise<void>
  readonly closed: Promise<{ code: number; reason: string }>
  code: number | undefined

  constructor(
    url: string,
    headers: Record<string, string> = {},
    options: { autoPong?: boolean } = {},
  ) {
    this.ws = new WebSocket(url, { headers, perMessageDeflate: false, ...options })
    this.ws.on('message', (data) => {
      const text = data.toString()
      this.raw.push(text)
      this.frames.push(JSON.parse(text))
    })
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
    })
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.code = code
        resolve({ code, reason: reason.toString() })
      })
    })
    this.ws.on('error', () => {}) // a refused or cut connection shows in `closed`
  }

  send(frame: unknown): void {
    this.ws.send(
      typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame),
    )
  }

  get replies() {
    return this.frames.filter((f) => f.type === 'reply')
  }

  get errors() {
    return this.frames.filter((f) => f.type === 'error')
  }

  close(): void {
    this.ws.close(1000)
  }
}

/** An SSE response being read: its events parsed as they arrive, and its raw text. */
export interface EventStream {
  status: number
  headers: Headers
  text: () => string
  events: () => Array<{ event?: string; id?: string; data?: string; comment?: string }>
  ended: Promise<void>
  abort(): void
}

export async function openEvents(
  url: string,
  headers: Record<string, string>,
): Promise<EventStream> {
  const controller = new AbortController()
  const response = await fetch(url, { headers, signal: controller.signal })
  let text = ''
  const reader = response.body?.getReader()
  const decoder = new TextDecoder()
  const ended = (async () => {
    if (!reader) return
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        text += decoder.decode(value, { stream: true })
      }
    } catch {
      // aborted by the test
    }
  })()
  return {
    status: response.status,
    headers: response.headers,
    text: () => text,
    events: () =>
      text
        .split('\n\n')
        .slice(0, -1)
        .map((block) => {
          const event: { event?: string; id?: string; data?: string; comment?: string } = {}
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event.comment = line.slice(1).trim()
            else {
              const colon = line.indexOf(':')
              const field = line.slice(0, colon) as 'event' | 'id' | 'data'
              event[field] = line.slice(colon + 1).trimStart()
            }
          }
          return event
        }),
    ended,
    abort: () => controller.abort(),
  }
}
