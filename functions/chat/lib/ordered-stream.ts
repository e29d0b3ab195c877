import type { Logger } from '#shared/log.ts'
import { CLOSE, replyFrame, type ServerFrame } from './frames.ts'
import type { StreamSink, StreamTarget } from './hub.ts'
import type { ChatMetrics } from './metrics.ts'
import type { Reply, ReplyLog } from './streams.ts'

/**
 * One stream's delivery order (hub.ts): it keeps the last sequence number it delivered,
 * so that whatever order the bus brings replies in, it delivers them in order, once each —
 * a reply at or below it is a duplicate, dropped; one beyond the next waits for the
 * missing ones to be read from the ReplyLog, or for a `resync` frame when the log no
 * longer holds them. Everything it does runs one task after another, in a queue of its
 * own, so a delivery never overtakes the fill it waits for.
 */

interface OrderedStreamHooks {
  replies: ReplyLog
  log: Logger
  metrics: ChatMetrics
  /** Above this backlog the stream is closed with 1013. */
  maxBufferedBytes: number
  /** A sequence number went out (the hub's floor of the chat). */
  seen(seq: number): void
  /** The stream must end: too slow (1013, closed) or a write failed (1006, gone). */
  end(code: number, close: boolean): void
}

export class OrderedStream {
  readonly chatId: string
  readonly userId: string
  readonly sink: StreamSink
  /** Cleared by the hub when the stream ends; nothing is written after. */
  open = true
  ageTimer: NodeJS.Timeout | undefined
  /** The last sequence number delivered; undefined until known (a live-only stream). */
  #last: number | undefined
  #queue: Promise<void> = Promise.resolve()
  readonly #hooks: OrderedStreamHooks

  constructor(target: StreamTarget, after: number | undefined, hooks: OrderedStreamHooks) {
    this.chatId = target.chatId
    this.userId = target.userId
    this.sink = target.sink
    this.#last = after
    this.#hooks = hooks
  }

  /**
   * A stream without `after` is live from now: from the chat's current number, not from
   * the first reply the bus brings, or a reply published before the subscription is in
   * place (the client's own first action, say) would be missed. `latest` is undefined
   * when the log cannot be read (Redis down): the stream starts at the first reply that
   * reaches it.
   */
  start(latest: () => Promise<number | undefined>): void {
    this.#enqueue(async () => {
      const current = await latest()
      if (this.#last === undefined) this.#last = current
    })
  }

  /** Whatever the log holds after the last delivered: a resume, or a catch-up. */
  catchUp(): void {
    this.#enqueue(() => this.#fill())
  }

  /** A live reply, published at `publishedAt` (ms, for the fan-out latency). */
  offer(reply: Reply, publishedAt: number): void {
    this.#enqueue(() => this.#deliver(reply, publishedAt))
  }

  #enqueue(task: () => void | Promise<void>): void {
    this.#queue = this.#queue
      .then(() => (this.open ? task() : undefined))
      .catch((error: unknown) => {
        this.#hooks.log.error({ err: error, chat_id: this.chatId }, 'chat delivery failed')
      })
  }

  async #deliver(reply: Reply, publishedAt: number): Promise<void> {
    if (this.#last === undefined) this.#last = reply.seq - 1
    if (reply.seq <= this.#last) return
    if (reply.seq > this.#last + 1) {
      await this.#fill()
      if (!this.open || reply.seq <= this.#last) return
      // Still missing: never in the log (numbered here while Redis was down) or the log
      // cannot be read. Announced, not silently skipped.
      this.#resync(reply.seq - 1)
      if (!this.open) return
    }
    this.#write(reply, publishedAt)
  }

  async #fill(): Promise<void> {
    const after = this.#last
    if (after === undefined) return
    let since: Awaited<ReturnType<ReplyLog['since']>>
    try {
      since = await this.#hooks.replies.since(this.chatId, after)
    } catch (error) {
      // Redis down: the next reply that arrives fills (or resyncs) again.
      this.#hooks.log.debug({ err: error, chat_id: this.chatId }, 'reply buffer not readable')
      return
    }
    const replies = Array.isArray(since) ? since : since.replies
    for (const reply of replies) {
      if (!this.open) return
      const last = this.#last ?? after
      if (reply.seq <= last) continue
      if (reply.seq > last + 1) this.#resync(reply.seq - 1)
      if (this.open) this.#write(reply, undefined)
    }
  }

  #resync(after: number): void {
    this.#last = after
    this.#hooks.metrics.resync()
    this.#send({ type: 'resync', after })
  }

  #write(reply: Reply, publishedAt: number | undefined): void {
    this.#last = reply.seq
    this.#hooks.seen(reply.seq)
    if (!this.#send(replyFrame(reply))) return
    this.#hooks.metrics.delivered(this.sink.transport)
    if (publishedAt !== undefined) {
      this.#hooks.metrics.fanoutLatency((Date.now() - publishedAt) / 1000)
    }
  }

  /** Sends, then ends a stream whose peer is not keeping up (1013). */
  #send(frame: ServerFrame): boolean {
    try {
      this.sink.send(frame)
    } catch (error) {
      this.#hooks.log.debug({ err: error, chat_id: this.chatId }, 'chat stream write failed')
      this.#hooks.end(1006, false)
      return false
    }
    if (this.sink.bufferedBytes() > this.#hooks.maxBufferedBytes) {
      this.#hooks.end(CLOSE.tooSlow, true)
    }
    return true
  }
}
