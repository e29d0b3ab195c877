import type { Sql } from 'postgres'
import { type WebSocket, WebSocketServer } from 'ws'
import type { ConfigReader } from '#shared/config/cache.ts'
import type { Logger } from '#shared/log.ts'
import { activeTracer } from '#shared/telemetry/tracing.ts'
import { runAction } from './actions.ts'
import { touchChat } from './chat.ts'
import {
  CLOSE,
  CLOSE_REASONS,
  type CloseCode,
  type ErrorFrame,
  errorFrame,
  MAX_CLIENT_FRAME_BYTES,
  type ParsedFrame,
  parseClientFrame,
  type ServerFrame,
} from './frames.ts'
import type { AttachedStream, ChatHub, StreamSink, StreamStart } from './hub.ts'

/**
 * The WebSocket side of a chat stream (API.md "chat"): the server the function's process
 * upgrades with, the hub's sink over one socket, and what the socket does with client
 * frames — only catalog actions, each answered on every stream of the chat; anything else
 * is refused with an error frame, never echoed, and never ends the connection.
 */

/**
 * ws refuses (closes 1009) a message above this before buffering it whole; between the
 * frame limit and this, the client gets an INVALID_FRAME and keeps its connection.
 */
const MAX_PAYLOAD_BYTES = MAX_CLIENT_FRAME_BYTES + 1024
const DEFAULT_PING_INTERVAL_MS = 15_000
/** How far a chat's written expiry may fall behind its activity (a tenth of a short one). */
const SLIDE_EVERY_MS = 60_000
/** How long a closing peer has to answer the close frame before the socket is dropped. */
const DEFAULT_CLOSE_GRACE_MS = 5_000

/**
 * The server the chat's process hands to serve({ websocket: { server } }). No
 * compression: per-message deflate costs ~300 KiB of memory per connection (zlib
 * contexts) and opens compression side channels, for frames of a few hundred bytes.
 * No client tracking: the hub tracks every stream, and closes them on drain.
 */
export function createChatWebSocketServer(): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_PAYLOAD_BYTES,
    clientTracking: false,
  })
}

export interface SocketOptions {
  pingIntervalMs?: number
  closeGraceMs?: number
}

/** The hub's sink over a socket. */
export function webSocketSink(ws: WebSocket, options: SocketOptions = {}): StreamSink {
  const grace = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS
  return {
    transport: 'ws',
    send(frame: ServerFrame) {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame))
    },
    bufferedBytes: () => ws.bufferedAmount,
    close(code: CloseCode) {
      if (ws.readyState === ws.CLOSED) return
      if (ws.readyState !== ws.CLOSING) ws.close(code, CLOSE_REASONS[code])
      // A peer that does not answer the close frame (or reads nothing: 1013) must not
      // hold the socket, nor a drain, for ws's own 30 s.
      const timer = setTimeout(() => ws.terminate(), grace)
      timer.unref()
      ws.once('close', () => clearTimeout(timer))
    },
  }
}

/**
 * At most `limit` frames in any 60 s (a sliding minute): the times of the last `limit`
 * frames in a ring; a frame is allowed when the oldest of them is a minute old.
 */
class SlidingMinute {
  #times = new Float64Array(0)
  #next = 0

  allow(limit: number, now = performance.now()): boolean {
    if (this.#times.length !== limit) {
      // A config change: start over with the new limit rather than guess.
      this.#times = new Float64Array(limit).fill(Number.NEGATIVE_INFINITY)
      this.#next = 0
    }
    const oldest = this.#times[this.#next] as number
    if (now - oldest < 60_000) return false
    this.#times[this.#next] = now
    this.#next = (this.#next + 1) % limit
    return true
  }
}

interface ChatSocketContext {
  chatId: string
  userId: string
  /** The chat's `expires_at` when the socket opened. */
  expiresAt: string
  start: StreamStart | undefined
  hub: ChatHub
  db: Sql
  config: ConfigReader<'chat'>
  log: Logger
}

export interface ChatSocket {
  /** A client message, as the adapter hands it: text as a string, binary as bytes. */
  message(data: unknown): void
  /** The socket closed (`code` as ws reports it). */
  closed(code: number): void
}

/**
 * Runs one authenticated socket: attaches it to the hub (replay, then live), answers its
 * frames, and pings it: a peer that has not answered the previous ping is dropped.
 */
export function openChatSocket(
  ws: WebSocket,
  context: ChatSocketContext,
  options: SocketOptions = {},
): ChatSocket {
  const { chatId, userId, hub, db, config, log } = context
  const sink = webSocketSink(ws, options)
  const attached: AttachedStream = hub.attach(
    { chatId, userId, expiresAt: context.expiresAt, sink },
    context.start,
  )
  const limiter = new SlidingMinute()
  /** The chat's expiry as last written; the next slide is due SLIDE_EVERY_MS behind. */
  let expiresAt = context.expiresAt
  // Actions run one after another: their replies are numbered in the order they came.
  let queue: Promise<void> = Promise.resolve()

  let alive = true
  ws.on('pong', () => {
    alive = true
  })
  const heartbeat = setInterval(() => {
    if (!alive) {
      ws.terminate()
      return
    }
    alive = false
    ws.ping()
  }, options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS)
  heartbeat.unref()

  const refuse = (frame: ErrorFrame) => {
    if (attached.open) sink.send(frame)
  }

  async function act(parsed: Extract<ParsedFrame, { ok: true }>['frame']): Promise<void> {
    if (!attached.open) return
    const chat = config.get('chat')
    const outcome = runAction(chat.actions, parsed.action, parsed.args)
    if (!outcome.ok) {
      refuse(errorFrame(outcome.code, parsed.id))
      return
    }
    const idleMs = chat.idle_timeout_seconds * 1000
    // The expiry slides with activity, but a write per action would put a database round
    // trip before every reply: it is written when it has fallen SLIDE_EVERY_MS behind.
    // A chat closed meanwhile still ends this stream at once, as closeChat reaches every
    // instance's streams; while it cannot (the bus down), every action checks SQL.
    const slideDue =
      Date.parse(expiresAt) - Date.now() <= idleMs - Math.min(SLIDE_EVERY_MS, idleMs / 10)
    if (!slideDue && hub.hearsCloses) {
      await hub.publish(chatId, {
        in_reply_to: parsed.id,
        action: outcome.action,
        payload: outcome.payload,
      })
      return
    }
    let active: Awaited<ReturnType<typeof touchChat>>
    try {
      active = await touchChat(db, userId, chatId, chat.idle_timeout_seconds)
    } catch (error) {
      // The database is down: nothing can be answered; the client reconnects and resumes
      // (its handshake is refused with 503 until the database is back).
      log.warn({ err: error, chat_id: chatId }, 'chat action not run: database unavailable')
      attached.close(CLOSE.restarting)
      return
    }
    if (!active) {
      attached.close(CLOSE.chatNotFound)
      return
    }
    expiresAt = active.expires_at
    await hub.publish(
      chatId,
      { in_reply_to: parsed.id, action: outcome.action, payload: outcome.payload },
      { expiresAt: active.expires_at },
    )
  }

  return {
    message(data) {
      if (!attached.open) return
      const parsed = parseClientFrame(data)
      const id = parsed.ok ? parsed.frame.id : parsed.in_reply_to
      // Every frame counts, refused ones too: a flood costs the sender, not us. Decided
      // as it arrives; answered in turn, so that answers come in the order of the frames.
      const allowed = limiter.allow(config.get('chat').actions_per_minute)
      queue = queue
        .then(() => {
          if (!allowed) refuse(errorFrame('RATE_LIMITED', id))
          else if (!parsed.ok) refuse(errorFrame(parsed.code, id))
          else return traceAction(() => act(parsed.frame))
        })
        .catch((error: unknown) => {
          log.error({ err: error, chat_id: chatId }, 'chat action failed')
        })
    },
    closed(code) {
      clearInterval(heartbeat)
      attached.detach(code)
    },
  }
}

/**
 * A WebSocket action is a request without HTTP: each gets a server span of its own, the
 * root of a new trace (the connection may live for minutes), which its reply's fan-out
 * joins.
 */
function traceAction(act: () => Promise<void>): Promise<void> {
  const tracer = activeTracer()
  if (!tracer) return act()
  return tracer.span('chat ws action', { kind: 'server', parent: 'root' }, act)
}
