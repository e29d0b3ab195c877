import { setTimeout as sleep } from 'node:timers/promises'
import { LatencyRecorder } from './latency.ts'
import { describeCloses, SocketPool, type Target } from './ws-clients.ts'

/**
 * One side of the fan-out measurement of `npm run bench:chat`, driven from this process:
 * `perChat` sockets for each chat, alternating between the side's two servers (socket j
 * of a chat on server j % 2), all open before the first action. Actions go at a steady
 * rate, round robin over the chats, each as an action frame on one socket of its chat
 * (socket c % 2 of chat c, so that both servers receive actions). For every (stream,
 * reply): the time from just before the frame was sent to that stream's reply, both on
 * this process's performance.now(). The actions are sent in runs (`send()`), so that two
 * sides can take turns on a shared machine; each run waits for its replies before it
 * returns. Every action counts for the checks, warm-up ones too: each stream of the chat
 * must get its reply exactly once, with sequence numbers rising on each stream, and one
 * number per reply on every stream of the chat.
 */

export interface FanoutChat {
  chatId: string
  authorization: string
}

export interface FanoutPlan {
  chats: readonly FanoutChat[]
  perChat: number
  /** The two servers' ports. */
  ports: readonly [number, number]
  /** Actions per second, over every chat. */
  rate: number
  /** Handshakes in flight at a time. */
  window: number
  /** Resolves once both servers subscribe every chat's channel. */
  subscribed: () => Promise<void>
  /** How long a run waits after its last action for every reply. */
  settleMs: number
}

export interface FanoutResult {
  /** Every measured (stream, reply) pair, late ones included. */
  latency: LatencyRecorder
  /** Each measured run's p99 (of the replies that came within it), in order. */
  runP99: number[]
  /** (stream, reply) pairs that should arrive: every action × its chat's streams. */
  expected: number
  received: number
  lost: number
  duplicates: number
  /** Replies whose seq was not above the one before on the same stream. */
  outOfOrder: number
  /** Replies whose seq differs from the one another stream of the chat got for it. */
  seqMismatch: number
  /** Frames that were neither a reply nor expected (error, resync), by kind. */
  others: Map<string, number>
  /** Sockets that closed during the run, by code. */
  closes: Map<number, number>
  /** Actions sent more than one interval after their time (the sender fell behind). */
  late: number
  /** Rate of the measured runs, per second, each from its first send to its last. */
  achievedRate: number
  /** Time from the first socket to the last being open, ms. */
  openMs: number
}

interface Stream {
  chat: number
  counts: Map<string, number>
  lastSeq: number
}

export class FanoutSide {
  readonly #plan: FanoutPlan
  readonly #streams: Stream[] = []
  readonly #targets: Target[] = []
  readonly #pool: SocketPool
  /** Action id → when it was sent; measured ones only. */
  readonly #sentAt = new Map<string, number>()
  /** Action id → the seq the first stream to get it saw. */
  readonly #seqOf = new Map<string, number>()
  readonly #latency = new LatencyRecorder()
  readonly #runP99: number[] = []
  readonly #others = new Map<string, number>()
  #run: LatencyRecorder | undefined
  #sent = 0
  #received = 0
  #duplicates = 0
  #outOfOrder = 0
  #seqMismatch = 0
  #late = 0
  #measuredActions = 0
  #measuredMs = 0
  #openMs = 0

  constructor(plan: FanoutPlan) {
    this.#plan = plan
    plan.chats.forEach((chat, c) => {
      for (let j = 0; j < plan.perChat; j++) {
        this.#targets.push({
          url: `ws://127.0.0.1:${plan.ports[j % 2]}/v1/chats/${chat.chatId}/ws`,
          authorization: chat.authorization,
        })
        this.#streams.push({ chat: c, counts: new Map(), lastSeq: 0 })
      }
    })
    this.#pool = new SocketPool((index, data, at) => this.#onFrame(index, data, at))
  }

  /** Opens every socket and waits for both servers to subscribe every chat. */
  async open(): Promise<void> {
    const started = performance.now()
    await this.#pool.open(this.#targets, this.#plan.window)
    this.#openMs = performance.now() - started
    await this.#plan.subscribed()
    // The last streams' starts (each reads its chat's current number) are done by now.
    await sleep(500)
    if (this.#pool.closed > 0) {
      throw new Error(
        `sockets closed before the actions: ${describeCloses(this.#pool.closedAfterOpen)}`,
      )
    }
  }

  /** Sends `count` actions at the plan's rate, then waits for their replies. */
  async send(count: number, measured: boolean): Promise<void> {
    const { chats, perChat } = this.#plan
    const interval = 1000 / this.#plan.rate
    const run = measured ? new LatencyRecorder() : undefined
    this.#run = run
    const t0 = performance.now() + 20
    let first = 0
    let last = 0
    for (let i = 0; i < count; i++) {
      const wait = t0 + i * interval - performance.now()
      if (wait > 1) await sleep(wait)
      else if (wait < -interval) this.#late++
      const k = this.#sent++
      const c = k % chats.length
      const id = `a${k}`
      const frame = JSON.stringify({ type: 'action', id, action: 'ping' })
      const now = performance.now()
      if (measured) this.#sentAt.set(id, now)
      if (i === 0) first = now
      last = now
      this.#pool.sockets[c * perChat + (c % 2)]?.send(frame)
    }
    const expected = this.#sent * perChat
    const deadline = performance.now() + this.#plan.settleMs
    while (this.#received < expected && performance.now() < deadline) await sleep(20)
    // Whatever would still come twice comes now.
    await sleep(100)
    this.#run = undefined
    if (run) {
      this.#runP99.push(run.percentile(99))
      this.#measuredActions += count - 1
      this.#measuredMs += last - first
    }
  }

  /** The checks over every action sent, and the measured latencies. */
  result(): FanoutResult {
    const chats = this.#plan.chats.length
    let lost = 0
    for (const stream of this.#streams) {
      for (let k = stream.chat; k < this.#sent; k += chats) {
        if (!stream.counts.has(`a${k}`)) lost++
      }
    }
    return {
      latency: this.#latency,
      runP99: [...this.#runP99],
      expected: this.#sent * this.#plan.perChat,
      received: this.#received,
      lost,
      duplicates: this.#duplicates,
      outOfOrder: this.#outOfOrder,
      seqMismatch: this.#seqMismatch,
      others: new Map(this.#others),
      closes: new Map(this.#pool.closedAfterOpen),
      late: this.#late,
      achievedRate:
        this.#measuredMs > 0 ? (this.#measuredActions * 1000) / this.#measuredMs : Number.NaN,
      openMs: this.#openMs,
    }
  }

  close(): Promise<void> {
    return this.#pool.terminateAll()
  }

  #onFrame(index: number, data: string, at: number): void {
    const stream = this.#streams[index]
    if (!stream) return
    let frame: { type?: string; in_reply_to?: string; seq?: number; code?: string }
    try {
      frame = JSON.parse(data)
    } catch {
      this.#other('not JSON')
      return
    }
    if (frame.type !== 'reply' || typeof frame.in_reply_to !== 'string') {
      this.#other(frame.type === 'error' ? `error ${frame.code}` : String(frame.type))
      return
    }
    const id = frame.in_reply_to
    const seen = stream.counts.get(id) ?? 0
    stream.counts.set(id, seen + 1)
    if (seen > 0) {
      this.#duplicates++
      return
    }
    this.#received++
    const sent = this.#sentAt.get(id)
    if (sent !== undefined) {
      this.#latency.record(at - sent)
      this.#run?.record(at - sent)
    }
    const seq = Number(frame.seq)
    if (!(seq > stream.lastSeq)) this.#outOfOrder++
    else stream.lastSeq = seq
    const first = this.#seqOf.get(id)
    if (first === undefined) this.#seqOf.set(id, seq)
    else if (first !== seq) this.#seqMismatch++
  }

  #other(kind: string): void {
    this.#others.set(kind, (this.#others.get(kind) ?? 0) + 1)
  }
}
