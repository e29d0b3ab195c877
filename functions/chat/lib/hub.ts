import type { Registry } from 'prom-client'
import type { MessageBus, Subscription } from '#shared/bus/bus.ts'
import { type MessageTrace, publishTraced, receiveTraced } from '#shared/bus/traced.ts'
import type { ConfigReader } from '#shared/config/cache.ts'
import type { Logger } from '#shared/log.ts'
import { CLOSE, type CloseCode, type ServerFrame } from './frames.ts'
import { type ChatMetrics, chatMetrics, type Transport } from './metrics.ts'
import { OrderedStream } from './ordered-stream.ts'
import type { ChatStreams, Reply, ReplyLog } from './streams.ts'

/**
 * This instance's chat streams (WebSocket and SSE alike), and the fan-out between
 * instances (DESIGN.md §5, streams.ts). A reply is numbered and kept by the ReplyLog, then
 * published on the bus channel `chat:<chatId>`, which an instance subscribes while it has
 * a stream of that chat. Each stream delivers in order, once each, filling gaps from the
 * log or announcing a resync (ordered-stream.ts).
 * The bus is at most once: after a (re)subscription every stream catches up from the log,
 * so a Redis blip loses nothing the log still holds. With Redis down altogether, replies
 * still reach this instance's streams (numbered here, above the highest number seen).
 */

/** Knative's revision timeout is 600 s: a stream closes (1012, resume) well before it. */
const DEFAULT_MAX_CONNECTION_AGE_MS = 540_000
/** A stream whose peer leaves more than this unread is closed (1013, resume). */
const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024
/** Numbers remembered per chat (the floors): bounded, oldest forgotten first. */
const MAX_FLOORS = 10_000
/** How soon an expiry that could not be checked (database down) is checked again. */
const EXPIRY_RETRY_MS = 5_000
/** setTimeout's longest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647

/** The transport's side of a stream: what the hub writes to and closes. */
export interface StreamSink {
  readonly transport: Transport
  /** Writes one frame. Never throws for a peer that has gone (the transport detaches). */
  send(frame: ServerFrame): void
  /** Bytes written but not yet taken by the peer. */
  bufferedBytes(): number
  /** Ends the stream with this code, as the transport says it (close frame, close event). */
  close(code: CloseCode): void
}

export interface StreamTarget {
  chatId: string
  userId: string
  /** The chat's `expires_at` when the stream opened; activity slides it (publish). */
  expiresAt: string
  sink: StreamSink
}

/**
 * Where a stream starts (startOf): after the reply a client resumes from, or live from the
 * chat's number as read before the stream was answered.
 */
export type StreamStart = { readonly after: number } | { readonly live: number }

/** The number a stream has seen up to, wherever it starts. */
const positionOf = (start: StreamStart) => ('after' in start ? start.after : start.live)

/** An attached stream, for its transport. */
export interface AttachedStream {
  /** False once closed, by either side. */
  readonly open: boolean
  /** The peer went away: forget the stream (`code`: how it ended, for the metrics). */
  detach(code: number): void
  /** Ends the stream from the transport's side (the chat turned out to be gone: 4404). */
  close(code: CloseCode): void
}

export interface ChatHubOptions {
  bus: MessageBus
  replies: ReplyLog
  /** `max_connections_per_user`, read at every attach so a change applies at once. */
  config: ConfigReader<'chat'>
  log: Logger
  metrics?: Registry
  /**
   * The chat's current `expires_at`, undefined once it is closed or expired (the lead's
   * `activeChatOf`). Asked when the expiry this instance knows passes, because activity
   * elsewhere (a POSTed action on another instance) may have slid it. Without it, the
   * expiry known here (from attach and from replies) is trusted.
   */
  expiryOf?: (userId: string, chatId: string) => Promise<string | undefined>
  /** Default 540 s, jittered ±10 % per stream so that reconnections do not come in a wave. */
  maxConnectionAgeMs?: number
  /** Default 1 MiB. */
  maxBufferedBytes?: number
}

/** What instances tell each other on `chat:<chatId>`. */
/** `trace`: the producer's trace context and request id (shared/bus/traced.ts). */
type BusMessage =
  | { type: 'reply'; reply: Reply; at: number; expires_at?: string; trace?: MessageTrace }
  | { type: 'close'; chatId: string; trace?: MessageTrace }

interface ChatEntry {
  readonly chatId: string
  readonly userId: string
  readonly streams: Set<OrderedStream>
  subscription: Subscription | undefined
  /** subscribed() came and lost() has not since: every reply published now reaches us. */
  heard: boolean
  /** The highest number that has reached this entry, by the bus or delivered here. */
  heardUpTo: number
  expiresAt: number
  expiryTimer: NodeJS.Timeout | undefined
}

export const channelOf = (chatId: string) => `chat:${chatId}`

export class ChatHub implements ChatStreams {
  readonly #bus: MessageBus
  readonly #replies: ReplyLog
  readonly #config: ConfigReader<'chat'>
  readonly #log: Logger
  readonly #metrics: ChatMetrics
  readonly #expiryOf: ChatHubOptions['expiryOf']
  readonly #maxAgeMs: number
  readonly #maxBuffered: number
  readonly #chats = new Map<string, ChatEntry>()
  readonly #byUser = new Map<string, Set<OrderedStream>>()
  /** The highest number this instance has seen per chat: numbers never repeat after an outage. */
  readonly #floors = new Map<string, number>()
  #degraded = false
  #draining = false

  constructor(options: ChatHubOptions) {
    this.#bus = options.bus
    this.#replies = options.replies
    this.#config = options.config
    this.#log = options.log
    this.#metrics = chatMetrics(options.metrics)
    this.#expiryOf = options.expiryOf
    this.#maxAgeMs = options.maxConnectionAgeMs ?? DEFAULT_MAX_CONNECTION_AGE_MS
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
  }

  /** Open streams on this instance. */
  get size(): number {
    let count = 0
    for (const entry of this.#chats.values()) count += entry.streams.size
    return count
  }

  /**
   * Whether a chat closed on any instance reaches this one's streams now (the bus is up
   * and fan-out is not degraded). While it does not, a stream checks its chat in SQL at
   * every action.
   */
  get hearsCloses(): boolean {
    return this.#bus.connected && !this.#degraded
  }

  /** Whether replies currently reach this instance's streams only (Redis down). */
  get degraded(): boolean {
    return this.#degraded
  }

  /**
   * Registers a stream and starts it from `start` (startOf): a resume reads the replies
   * after `after` from the log, then goes live; a live one delivers what is numbered after
   * its position. Without one (the log could not be read), it reads the position itself.
   * Refused streams are closed at once, before this returns: 1012 while draining, 4429
   * over the user's cap.
   */
  attach(target: StreamTarget, start?: StreamStart): AttachedStream {
    const stream = new OrderedStream(target, start && positionOf(start), {
      replies: this.#replies,
      log: this.#log,
      metrics: this.#metrics,
      maxBufferedBytes: this.#maxBuffered,
      seen: (seq) => this.#raise(target.chatId, seq),
      end: (code, close) => this.#end(stream, code, close),
    })
    const handle: AttachedStream = {
      get open() {
        return stream.open
      },
      detach: (code) => this.#end(stream, code, false),
      close: (code) => this.#end(stream, code, true),
    }
    this.#metrics.opened(target.sink.transport)
    if (this.#draining) {
      this.#refuse(stream, CLOSE.restarting)
      return handle
    }
    // Per instance, not cluster-wide: a cluster-wide count would cost a Redis round trip
    // on every connect and leak on every crash. It bounds what one user can hold here;
    // with N instances a user may hold up to N times as many.
    const cap = this.#config.get('chat').max_connections_per_user
    const mine = this.#byUser.get(target.userId) ?? new Set<OrderedStream>()
    if (mine.size >= cap) {
      this.#refuse(stream, CLOSE.tooManyConnections)
      return handle
    }
    mine.add(stream)
    this.#byUser.set(target.userId, mine)
    const entry = this.#entry(target.chatId, target.userId)
    entry.streams.add(stream)
    this.#slide(entry, Date.parse(target.expiresAt))
    const jitter = 0.9 + Math.random() * 0.2
    stream.ageTimer = setTimeout(
      () => this.#end(stream, CLOSE.restarting, true),
      Math.min(MAX_TIMER_MS, Math.max(0, Math.round(this.#maxAgeMs * jitter))),
    )
    stream.ageTimer.unref()
    if (start === undefined) {
      // From the chat's current number as read now, not from the first reply the bus
      // brings, or a reply published before the subscription is in place would be missed.
      // The catch-up on subscribed() runs after.
      stream.start(() => this.#latest(target.chatId))
      return handle
    }
    // The chat's numbers are at least this high, even if the log lost them (a Redis
    // restart) and this instance never saw the chat.
    this.#raise(target.chatId, positionOf(start))
    // A resume reads what it missed. A live stream reads only what was numbered after its
    // position and has reached this instance already: anything later comes to it by the
    // bus, and while the subscription is not in place, subscribed() catches it up. (An
    // unconditional read costs every connection a Redis round trip: bench:chat.)
    if ('after' in start || (entry.heard && entry.heardUpTo > start.live)) stream.catchUp()
    return handle
  }

  /**
   * Where a stream starts: after `after` when the client resumes; otherwise live from the
   * chat's current number, read before the client learns that its stream is open (the
   * routes await this before the 101 or the 200). "Live from now" is then from a moment
   * before anything the client does next, an action sent on another instance, say; read
   * after the open, a reply numbered in between would count as already seen. Undefined
   * when the log cannot be read (Redis down): attach() then tries once more, and failing
   * that the stream starts at the first reply that reaches it.
   */
  async startOf(chatId: string, after?: number): Promise<StreamStart | undefined> {
    if (after !== undefined) return { after }
    const live = await this.#latest(chatId)
    return live === undefined ? undefined : { live }
  }

  /** The chat's current number; undefined when the log cannot be read (Redis down). */
  async #latest(chatId: string): Promise<number | undefined> {
    try {
      return await this.#replies.latest(chatId)
    } catch (error) {
      this.#log.debug({ err: error, chat_id: chatId }, 'chat sequence not readable')
      return undefined
    }
  }

  /**
   * Numbers and keeps the reply, then publishes it to every instance; with Redis down,
   * delivers it to this instance's streams. `expiresAt`: the chat's new expiry after the
   * action (touchChat), so that every instance slides its streams' expiry.
   */
  async publish(
    chatId: string,
    reply: Omit<Reply, 'seq'>,
    options: { expiresAt?: string; requestId?: string } = {},
  ): Promise<Reply> {
    let numbered: Reply
    let failure: unknown
    try {
      numbered = await this.#replies.append(chatId, reply, this.#floors.get(chatId) ?? 0)
    } catch (error) {
      failure = error
      // Synchronous from reading the floor to raising it: concurrent failed appends of
      // one chat still get distinct numbers.
      numbered = { seq: (this.#floors.get(chatId) ?? 0) + 1, ...reply }
    }
    this.#raise(chatId, numbered.seq)
    const message: BusMessage = {
      type: 'reply',
      reply: numbered,
      at: Date.now(),
      ...(options.expiresAt ? { expires_at: options.expiresAt } : {}),
    }
    if (failure === undefined) {
      try {
        await publishTraced(this.#bus, channelOf(chatId), 'chat', options.requestId, (trace) =>
          JSON.stringify(trace ? { ...message, trace } : message),
        )
        this.#recovered()
        return numbered
      } catch (error) {
        failure = error
      }
    }
    this.#degrade(failure)
    this.#metrics.localOnly()
    this.#receive(chatId, message)
    return numbered
  }

  /** Closes the chat's streams with 4404 here at once, and on every other instance. */
  async closeChat(chatId: string): Promise<void> {
    this.#closeChatHere(chatId)
    this.#floors.delete(chatId)
    const message: BusMessage = { type: 'close', chatId }
    try {
      await this.#bus.publish(channelOf(chatId), JSON.stringify(message))
    } catch (error) {
      // Other instances close theirs when the chat's expiry is checked (expiryOf).
      this.#log.warn({ err: error, chat_id: chatId }, 'chat close not published (bus down)')
    }
  }

  /** SIGTERM: every stream closes with 1012 (reconnect and resume), new ones too. */
  async drain(): Promise<void> {
    this.#draining = true
    const closing: Promise<void>[] = []
    for (const entry of [...this.#chats.values()]) {
      if (entry.subscription) closing.push(entry.subscription.close())
      for (const stream of [...entry.streams]) this.#end(stream, CLOSE.restarting, true)
    }
    await Promise.allSettled(closing)
  }

  // ---- chats ---------------------------------------------------------------------

  #entry(chatId: string, userId: string): ChatEntry {
    const existing = this.#chats.get(chatId)
    if (existing) return existing
    const entry: ChatEntry = {
      chatId,
      userId,
      streams: new Set(),
      subscription: undefined,
      heard: false,
      heardUpTo: 0,
      expiresAt: 0,
      expiryTimer: undefined,
    }
    this.#chats.set(chatId, entry)
    entry.subscription = this.#subscribe(entry)
    return entry
  }

  /** Undefined when the bus refuses (closed at shutdown): local deliveries still work. */
  #subscribe(entry: ChatEntry): Subscription | undefined {
    const { chatId } = entry
    try {
      return this.#bus.subscribe([channelOf(chatId)], {
        message: (_channel, raw) => this.#onMessage(chatId, raw),
        // Whatever was published before (or while) the subscription was not in place was
        // not delivered: every stream of the chat catches up from the log.
        subscribed: () => {
          entry.heard = true
          // Queued behind a stream's start, so `last` is known by the time it runs.
          for (const stream of entry.streams) stream.catchUp()
        },
        lost: () => {
          entry.heard = false
        },
      })
    } catch (error) {
      this.#log.warn({ err: error, chat_id: chatId }, 'chat channel not subscribed')
      return undefined
    }
  }

  #onMessage(chatId: string, raw: string): void {
    let message: BusMessage
    try {
      message = JSON.parse(raw) as BusMessage
    } catch (error) {
      this.#log.warn({ err: error, chat_id: chatId }, 'chat bus message is not JSON; ignored')
      return
    }
    receiveTraced('chat', message.trace, () => {
      if (message.type === 'close') this.#closeChatHere(chatId)
      else if (message.type === 'reply') this.#receive(chatId, message)
    })
  }

  #receive(chatId: string, message: Extract<BusMessage, { type: 'reply' }>): void {
    this.#raise(chatId, message.reply.seq)
    const entry = this.#chats.get(chatId)
    if (!entry) return
    entry.heardUpTo = Math.max(entry.heardUpTo, message.reply.seq)
    if (message.expires_at) this.#slide(entry, Date.parse(message.expires_at))
    for (const stream of entry.streams) {
      stream.offer(message.reply, message.at)
    }
  }

  #closeChatHere(chatId: string): void {
    const entry = this.#chats.get(chatId)
    if (!entry) return
    for (const stream of [...entry.streams]) this.#end(stream, CLOSE.chatNotFound, true)
  }

  /** The chat's expiry moves later only: an older message must not shorten it. */
  #slide(entry: ChatEntry, expiresAt: number): void {
    if (!Number.isFinite(expiresAt) || expiresAt <= entry.expiresAt) return
    entry.expiresAt = expiresAt
    this.#scheduleExpiry(entry, expiresAt - Date.now())
  }

  #scheduleExpiry(entry: ChatEntry, delayMs: number): void {
    clearTimeout(entry.expiryTimer)
    entry.expiryTimer = setTimeout(
      () => void this.#expire(entry),
      Math.min(MAX_TIMER_MS, Math.max(0, delayMs)),
    )
    entry.expiryTimer.unref()
  }

  async #expire(entry: ChatEntry): Promise<void> {
    if (this.#chats.get(entry.chatId) !== entry) return
    if (entry.expiresAt > Date.now()) {
      this.#scheduleExpiry(entry, entry.expiresAt - Date.now())
      return
    }
    if (this.#expiryOf) {
      let current: string | undefined
      try {
        current = await this.#expiryOf(entry.userId, entry.chatId)
      } catch (error) {
        // Not known to be expired: the streams stay, and it is asked again shortly.
        this.#log.warn({ err: error, chat_id: entry.chatId }, 'chat expiry not checked; retrying')
        if (this.#chats.get(entry.chatId) === entry) this.#scheduleExpiry(entry, EXPIRY_RETRY_MS)
        return
      }
      if (this.#chats.get(entry.chatId) !== entry) return
      const at = current === undefined ? Number.NaN : Date.parse(current)
      if (at > Date.now()) {
        this.#slide(entry, at)
        return
      }
    }
    this.#closeChatHere(entry.chatId)
  }

  // ---- streams -------------------------------------------------------------------

  #refuse(stream: OrderedStream, code: CloseCode): void {
    stream.open = false
    this.#metrics.closed(stream.sink.transport, code)
    stream.sink.close(code)
  }

  /** Forgets the stream (and the chat's subscription with its last one); closes it if asked. */
  #end(stream: OrderedStream, code: number, close: boolean): void {
    if (!stream.open) return
    stream.open = false
    clearTimeout(stream.ageTimer)
    const mine = this.#byUser.get(stream.userId)
    mine?.delete(stream)
    if (mine?.size === 0) this.#byUser.delete(stream.userId)
    const entry = this.#chats.get(stream.chatId)
    if (entry?.streams.delete(stream) && entry.streams.size === 0) {
      this.#chats.delete(stream.chatId)
      clearTimeout(entry.expiryTimer)
      entry.subscription?.close().catch((error: unknown) => {
        this.#log.debug({ err: error, chat_id: stream.chatId }, 'chat unsubscribe failed')
      })
    }
    this.#metrics.closed(stream.sink.transport, code)
    if (close) {
      try {
        stream.sink.close(code as CloseCode)
      } catch (error) {
        this.#log.debug({ err: error, chat_id: stream.chatId }, 'chat stream close failed')
      }
    }
  }

  // ---- numbers and degradation ---------------------------------------------------

  #raise(chatId: string, seq: number): void {
    const floor = this.#floors.get(chatId)
    if (floor !== undefined && floor >= seq) return
    // Re-inserted: the map's order is last use, and the oldest is forgotten first.
    this.#floors.delete(chatId)
    this.#floors.set(chatId, seq)
    if (this.#floors.size > MAX_FLOORS) {
      const oldest = this.#floors.keys().next().value
      if (oldest !== undefined) this.#floors.delete(oldest)
    }
  }

  #degrade(error: unknown): void {
    if (this.#degraded) return
    this.#degraded = true
    this.#metrics.degraded(true)
    this.#log.warn(
      { err: error },
      'chat fan-out degraded: Redis unavailable, replies reach this instance’s streams only',
    )
  }

  #recovered(): void {
    if (!this.#degraded) return
    this.#degraded = false
    this.#metrics.degraded(false)
    this.#log.info('chat fan-out recovered: replies reach every instance again')
  }
}
