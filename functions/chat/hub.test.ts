import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import type { MessageBus } from '#shared/bus/bus.ts'
import { createInProcessBus } from '#shared/bus/in-process-bus.ts'
import { COMMAND_CONNECTION_OPTIONS, createRedisBus } from '#shared/bus/redis-bus.ts'
import type { ConfigReader } from '#shared/config/cache.ts'
import type { ConfigOf } from '#shared/config/schemas.ts'
import { createLogger } from '#shared/log.ts'
import { findOnPath, RestartableRedis, stablePort } from '#test/harness/local-servers.ts'
import { tcpProxy } from '#test/harness/tcp-proxy.ts'
import type { CloseCode, ServerFrame } from './lib/frames.ts'
import {
  ChatHub,
  type ChatHubOptions,
  channelOf,
  type StreamSink,
  type StreamStart,
} from './lib/hub.ts'
import { InProcessReplyLog, RedisReplyLog } from './lib/replies.ts'
import type { Reply, ReplyLog } from './lib/streams.ts'

/**
 * The hub (hub.ts): per-stream order whatever the bus does, gap fill and resync from the
 * ring buffer, the closes (1013, 1012, 4404, 4429), fan-out between two hubs over the
 * run's Redis, and a Redis outage on a redis-server of this file's own.
 */

const lines: Array<Record<string, unknown>> = []
const log = createLogger('hub-test', {
  level: 'debug',
  destination: { write: (line: string) => lines.push(JSON.parse(line)) },
})

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A stream's transport, recording what the hub does with it. */
class Sink implements StreamSink {
  readonly transport = 'ws' as const
  readonly frames: ServerFrame[] = []
  closedWith: CloseCode | undefined
  buffered = 0
  send(frame: ServerFrame) {
    if (this.closedWith !== undefined) throw new Error('sent after close')
    this.frames.push(structuredClone(frame))
  }
  bufferedBytes() {
    return this.buffered
  }
  close(code: CloseCode) {
    this.closedWith = code
  }
  /** The frames as `r<seq>` and `resync<after>`, for readable assertions. */
  get seen(): string[] {
    return this.frames.map((f) =>
      f.type === 'reply' ? `r${f.seq}` : f.type === 'resync' ? `resync${f.after}` : f.code,
    )
  }
}

type ChatConfig = ConfigOf<'chat'>
function chatConfig(overrides: Partial<ChatConfig> = {}): ChatConfig {
  return {
    actions: [],
    max_active_chats_per_user_per_project: 3,
    idle_timeout_seconds: 1800,
    max_connections_per_user: 5,
    actions_per_minute: 60,
    ...overrides,
  }
}
const readerOf = (config: ChatConfig) => ({ get: () => config }) as unknown as ConfigReader<'chat'>

function hubWith(options: Partial<ChatHubOptions> & { bus?: MessageBus; replies?: ReplyLog } = {}) {
  const bus = options.bus ?? createInProcessBus({ log })
  const replies = options.replies ?? new InProcessReplyLog()
  const hub = new ChatHub({ config: readerOf(chatConfig()), log, ...options, bus, replies })
  cleanups.push(() => hub.drain())
  return { hub, bus, replies }
}

const later = (ms = 60_000) => new Date(Date.now() + ms).toISOString()
const body = (n: number): Omit<Reply, 'seq'> => ({
  in_reply_to: `c-${n}`,
  action: 'ping',
  payload: { n },
})
const busReply = (reply: Reply) => JSON.stringify({ type: 'reply', reply, at: Date.now() })

function stream(hub: ChatHub, chatId: string, after?: number, userId = randomUUID()) {
  return streamFrom(hub, chatId, after === undefined ? undefined : { after }, userId)
}

function streamFrom(
  hub: ChatHub,
  chatId: string,
  start: StreamStart | undefined,
  userId = randomUUID(),
) {
  const sink = new Sink()
  const attached = hub.attach({ chatId, userId, expiresAt: later(), sink }, start)
  return { sink, attached, userId }
}

/** The reply log, counting its reads of replies (since): a catch-up's cost. */
function countingReplies(inner: ReplyLog = new InProcessReplyLog()) {
  const counted = {
    reads: 0,
    append: inner.append.bind(inner),
    latest: inner.latest.bind(inner),
    since(chatId: string, after: number) {
      counted.reads++
      return inner.since(chatId, after)
    },
  }
  return counted
}

/** Until the in-process bus has delivered subscribed() and what was published before. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

async function metricValues(registry: Registry, name: string) {
  return (await registry.getSingleMetric(name)?.get())?.values ?? []
}

describe('a live stream’s position (startOf)', () => {
  it('is the chat’s current number, or the resume point the client gave', async () => {
    const { hub, replies } = hubWith()
    const chat = randomUUID()
    expect(await hub.startOf(chat)).toEqual({ live: 0 })
    await replies.append(chat, body(1))
    expect(await hub.startOf(chat)).toEqual({ live: 1 })
    expect(await hub.startOf(chat, 0)).toEqual({ after: 0 })
  })

  it('is unknown when the log cannot be read; the stream then reads it itself', async () => {
    const inner = new InProcessReplyLog()
    let readable = false
    const replies: ReplyLog = {
      append: (...args) => inner.append(...args),
      since: (...args) => inner.since(...args),
      latest: async (chatId) => {
        if (!readable) throw new Error('Redis down')
        return inner.latest(chatId)
      },
    }
    const { hub } = hubWith({ replies })
    const chat = randomUUID()
    await inner.append(chat, body(1))
    expect(await hub.startOf(chat)).toBeUndefined()
    readable = true
    const { sink } = streamFrom(hub, chat, undefined)
    await settle()
    await hub.publish(chat, body(2))
    await vi.waitFor(() => expect(sink.seen).toEqual(['r2']))
  })

  it('delivers what this instance heard above it before the stream attached, and reads the log for nothing else', async () => {
    const replies = countingReplies()
    const { hub } = hubWith({ replies })
    const chat = randomUUID()
    stream(hub, chat, 0) // the chat's subscription, in place
    await settle()
    const before = await hub.startOf(chat)
    await hub.publish(chat, body(1)) // heard here before the next stream attaches
    await settle()
    const late = streamFrom(hub, chat, before)
    await vi.waitFor(() => expect(late.sink.seen).toEqual(['r1']))

    // Nothing above its position heard yet: no read; what comes next comes by the bus.
    const reads = replies.reads
    const current = streamFrom(hub, chat, await hub.startOf(chat))
    await settle()
    expect(replies.reads).toBe(reads)
    await hub.publish(chat, body(2))
    await vi.waitFor(() => expect(current.sink.seen).toEqual(['r2']))
    expect(late.sink.seen).toEqual(['r1', 'r2'])
    expect(replies.reads).toBe(reads)
  })
})

describe('one stream’s order', () => {
  it('delivers each reply once, in order, whatever order and repeats the bus brings', async () => {
    const { hub, bus, replies } = hubWith()
    const chat = randomUUID()
    const { sink } = stream(hub, chat, 0)
    await settle()
    const kept: Reply[] = []
    for (let n = 1; n <= 5; n++) kept.push(await replies.append(chat, body(n)))
    for (const n of [3, 1, 2, 2, 5, 4, 1, 3]) {
      await bus.publish(channelOf(chat), busReply(kept[n - 1] as Reply))
    }
    await vi.waitFor(() => expect(sink.seen).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']))
    await settle()
    expect(sink.seen).toEqual(['r1', 'r2', 'r3', 'r4', 'r5'])
    expect(sink.frames[0]).toEqual({ type: 'reply', ...kept[0] })
  })

  it('fills a gap from the ring buffer before delivering what came ahead', async () => {
    const { hub, bus, replies } = hubWith()
    const chat = randomUUID()
    const { sink } = stream(hub, chat, 0)
    await settle()
    for (let n = 1; n <= 2; n++) await replies.append(chat, body(n))
    const third = await replies.append(chat, body(3))
    await bus.publish(channelOf(chat), busReply(third))
    await vi.waitFor(() => expect(sink.seen).toEqual(['r1', 'r2', 'r3']))
  })

  it('announces a resync when the buffer no longer holds the gap, then goes on', async () => {
    const registry = new Registry()
    const { hub, replies } = hubWith({
      replies: new InProcessReplyLog({ maxLength: 2 }),
      metrics: registry,
    })
    const chat = randomUUID()
    for (let n = 1; n <= 5; n++) await replies.append(chat, body(n))
    const { sink } = stream(hub, chat, 1)
    await vi.waitFor(() => expect(sink.seen).toEqual(['resync3', 'r4', 'r5']))
    // Live after the replay, without a gap or a repeat.
    await hub.publish(chat, body(6))
    await vi.waitFor(() => expect(sink.seen).toEqual(['resync3', 'r4', 'r5', 'r6']))
    expect((await metricValues(registry, 'chat_resyncs_total'))[0]?.value).toBe(1)
  })

  it('resyncs a gap that was never in the buffer (numbered while Redis was down)', async () => {
    const { hub, bus } = hubWith()
    const chat = randomUUID()
    const { sink } = stream(hub, chat, 0)
    await settle()
    await bus.publish(channelOf(chat), busReply({ seq: 4, ...body(4) }))
    await bus.publish(channelOf(chat), busReply({ seq: 5, ...body(5) }))
    await vi.waitFor(() => expect(sink.seen).toEqual(['resync3', 'r4', 'r5']))
  })

  it('resumes after `after`: the rest of the buffer, then live replies', async () => {
    const { hub, replies } = hubWith()
    const chat = randomUUID()
    for (let n = 1; n <= 4; n++) await replies.append(chat, body(n))
    const { sink } = stream(hub, chat, 2)
    const fresh = stream(hub, chat, 0)
    const live = stream(hub, chat)
    await settle()
    const published = await hub.publish(chat, body(5))
    expect(published).toEqual({ seq: 5, ...body(5) })
    await vi.waitFor(() => expect(sink.seen).toEqual(['r3', 'r4', 'r5']))
    await vi.waitFor(() => expect(fresh.sink.seen).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']))
    // Without `after`, live from the first reply on.
    await vi.waitFor(() => expect(live.sink.seen).toEqual(['r5']))
  })
})

describe('closes', () => {
  it('closes a stream whose peer does not keep up with 1013', async () => {
    const { hub } = hubWith({ maxBufferedBytes: 1000 })
    const chat = randomUUID()
    const slow = stream(hub, chat)
    const quick = stream(hub, chat)
    await settle()
    await hub.publish(chat, body(1))
    await vi.waitFor(() => expect(slow.sink.seen).toEqual(['r1']))
    slow.sink.buffered = 1001
    await hub.publish(chat, body(2))
    await vi.waitFor(() => expect(slow.sink.closedWith).toBe(1013))
    expect(slow.attached.open).toBe(false)
    await hub.publish(chat, body(3))
    await vi.waitFor(() => expect(quick.sink.seen).toEqual(['r1', 'r2', 'r3']))
    expect(slow.sink.seen).toEqual(['r1', 'r2'])
    expect(quick.sink.closedWith).toBeUndefined()
  })

  it('closes a stream with 1012 when it reaches its maximum age (±10 %)', async () => {
    const { hub } = hubWith({ maxConnectionAgeMs: 400 })
    const started = performance.now()
    const { sink } = stream(hub, randomUUID())
    await sleep(300)
    expect(sink.closedWith).toBeUndefined()
    await vi.waitFor(() => expect(sink.closedWith).toBe(1012), { timeout: 2_000, interval: 5 })
    const age = performance.now() - started
    expect(age).toBeGreaterThanOrEqual(355)
    expect(age).toBeLessThan(600)
    expect(hub.size).toBe(0)
  })

  it('drains: every stream closes with 1012, and a new one is refused with it', async () => {
    const { hub } = hubWith()
    const streams = [
      stream(hub, randomUUID()),
      stream(hub, randomUUID()),
      stream(hub, randomUUID()),
    ]
    expect(hub.size).toBe(3)
    await hub.drain()
    expect(streams.map((s) => s.sink.closedWith)).toEqual([1012, 1012, 1012])
    expect(hub.size).toBe(0)
    const late = stream(hub, randomUUID())
    expect(late.sink.closedWith).toBe(1012)
    expect(late.attached.open).toBe(false)
  })

  it('caps a user’s streams on this instance (4429), from the config as it is now', async () => {
    const config = chatConfig({ max_connections_per_user: 2 })
    const { hub } = hubWith({ config: readerOf(config) })
    const user = randomUUID()
    const one = stream(hub, randomUUID(), undefined, user)
    stream(hub, randomUUID(), undefined, user)
    const third = stream(hub, randomUUID(), undefined, user)
    expect(third.sink.closedWith).toBe(4429)
    expect(stream(hub, randomUUID()).sink.closedWith).toBeUndefined() // another user
    one.attached.detach(1000)
    expect(stream(hub, randomUUID(), undefined, user).sink.closedWith).toBeUndefined()
    config.max_connections_per_user = 3
    expect(stream(hub, randomUUID(), undefined, user).sink.closedWith).toBeUndefined()
    expect(stream(hub, randomUUID(), undefined, user).sink.closedWith).toBe(4429)
  })

  it('closes a chat’s streams with 4404 when it passes its expiry with no activity', async () => {
    const { hub } = hubWith()
    const chat = randomUUID()
    const sink = new Sink()
    const expiresAt = new Date(Date.now() + 300).toISOString()
    hub.attach({ chatId: chat, userId: randomUUID(), expiresAt, sink })
    const other = stream(hub, randomUUID())
    await sleep(150)
    expect(sink.closedWith).toBeUndefined()
    await vi.waitFor(() => expect(sink.closedWith).toBe(4404))
    expect(other.sink.closedWith).toBeUndefined()
  })

  it('slides the expiry with activity, and asks expiryOf before closing', async () => {
    let current: string | undefined = new Date(Date.now() + 500).toISOString()
    const asked: string[] = []
    const { hub } = hubWith({
      expiryOf: async (_user, chatId) => {
        asked.push(chatId)
        return current
      },
    })
    const chat = randomUUID()
    const sink = new Sink()
    hub.attach({
      chatId: chat,
      userId: randomUUID(),
      expiresAt: new Date(Date.now() + 200).toISOString(),
      sink,
    })
    // Activity here: the publish carries the new expiry.
    await hub.publish(chat, body(1), { expiresAt: new Date(Date.now() + 400).toISOString() })
    await sleep(300)
    expect(sink.closedWith).toBeUndefined()
    expect(asked).toEqual([])
    // At 400 ms it asks, and learns of activity elsewhere (500 ms).
    await vi.waitFor(() => expect(asked).toEqual([chat]))
    expect(sink.closedWith).toBeUndefined()
    current = undefined // closed or expired meanwhile
    await vi.waitFor(() => expect(sink.closedWith).toBe(4404))
    expect(asked).toEqual([chat, chat])
  })

  it('closeChat closes the chat’s streams with 4404, and no other', async () => {
    const { hub } = hubWith()
    const chat = randomUUID()
    const a = stream(hub, chat)
    const b = stream(hub, chat)
    const other = stream(hub, randomUUID())
    await hub.closeChat(chat)
    expect([a.sink.closedWith, b.sink.closedWith, other.sink.closedWith]).toEqual([
      4404,
      4404,
      undefined,
    ])
  })

  it('counts open streams and closes by code', async () => {
    const registry = new Registry()
    const { hub } = hubWith({
      metrics: registry,
      config: readerOf(chatConfig({ max_connections_per_user: 1 })),
    })
    const user = randomUUID()
    const one = stream(hub, randomUUID(), undefined, user)
    stream(hub, randomUUID(), undefined, user) // 4429
    stream(hub, randomUUID())
    expect((await metricValues(registry, 'chat_connections_open'))[0]).toMatchObject({
      labels: { transport: 'ws' },
      value: 2,
    })
    one.attached.detach(1000)
    const closes = await metricValues(registry, 'chat_stream_closes_total')
    expect(closes.map((v) => [v.labels.code, v.value]).sort()).toEqual([
      ['1000', 1],
      ['4429', 1],
    ])
    expect((await metricValues(registry, 'chat_connections_open'))[0]?.value).toBe(1)
  })
})

describe('fan-out between instances over Redis', () => {
  const redisUrl = () => inject('redisUrl')

  async function instance(url = redisUrl(), busUrl = url) {
    const command = new Redis(url, COMMAND_CONNECTION_OPTIONS)
    command.on('error', () => {})
    // As in a function's process, which serves once its connections are up.
    await new Promise((resolve) => command.once('ready', resolve))
    const bus = await createRedisBus({ url: busUrl, publisher: command, log })
    const registry = new Registry()
    const hub = new ChatHub({
      bus,
      replies: new RedisReplyLog(command),
      config: readerOf(chatConfig()),
      log,
      metrics: registry,
    })
    cleanups.push(async () => {
      await hub.drain()
      await bus.close()
      command.disconnect()
    })
    return { hub, bus, registry, command }
  }

  it('delivers a reply published on one hub to every stream on both, and closes on both', async () => {
    const a = await instance()
    const b = await instance()
    const chat = randomUUID()
    const onA = stream(a.hub, chat, 0)
    const onB = stream(b.hub, chat, 0)
    // Both subscriptions in place: a wait, not a sleep, for a loaded machine.
    await vi.waitFor(() => expect([a.bus.connected, b.bus.connected]).toEqual([true, true]))
    await a.hub.publish(chat, body(1))
    await b.hub.publish(chat, body(2))
    await vi.waitFor(() => expect(onA.sink.seen).toEqual(['r1', 'r2']))
    await vi.waitFor(() => expect(onB.sink.seen).toEqual(['r1', 'r2']))
    const latency = (await metricValues(b.registry, 'chat_fanout_latency_seconds')).find(
      (v) => (v as { metricName?: string }).metricName === 'chat_fanout_latency_seconds_count',
    )
    expect(latency?.value).toBe(2)
    await a.hub.closeChat(chat)
    await vi.waitFor(() => expect(onB.sink.closedWith).toBe(4404))
    expect(onA.sink.closedWith).toBe(4404)
  })

  it('gives a live-only stream what was published before its subscription was in place', async () => {
    // B's subscriber connection is slow (what it sends arrives 300 ms late); its
    // command connection is not.
    const proxy = await tcpProxy(redisUrl(), { delayMs: 300 })
    cleanups.push(() => proxy.close())
    const a = await instance()
    const b = await instance(redisUrl(), proxy.url)
    const chat = randomUUID()
    const onB = stream(b.hub, chat) // no `after`: live from now
    const atPosition = streamFrom(b.hub, chat, await b.hub.startOf(chat)) // as the routes do
    await sleep(30)
    expect(b.bus.connected).toBe(false) // its SUBSCRIBE is still on its way
    await a.hub.publish(chat, body(1))
    await a.hub.publish(chat, body(2))
    await vi.waitFor(() => expect(onB.sink.seen).toEqual(['r1', 'r2']))
    await vi.waitFor(() => expect(atPosition.sink.seen).toEqual(['r1', 'r2']))
  })

  it('catches up from the buffer after its subscriber reconnects: nothing is lost', async () => {
    const proxy = await tcpProxy(redisUrl())
    cleanups.push(() => proxy.close())
    const a = await instance()
    const b = await instance(redisUrl(), proxy.url) // only B's subscriber goes through it
    const chat = randomUUID()
    const onB = stream(b.hub, chat, 0)
    await vi.waitFor(() => expect(b.bus.connected).toBe(true))
    await a.hub.publish(chat, body(1))
    await vi.waitFor(() => expect(onB.sink.seen).toEqual(['r1']))
    proxy.refuse()
    proxy.drop()
    await vi.waitFor(() => expect(b.bus.connected).toBe(false))
    await a.hub.publish(chat, body(2))
    await a.hub.publish(chat, body(3))
    await sleep(300)
    expect(onB.sink.seen).toEqual(['r1']) // missed live
    proxy.accept()
    // No further reply is published: only the catch-up on subscribed() can bring them.
    await vi.waitFor(() => expect(onB.sink.seen).toEqual(['r1', 'r2', 'r3']), { timeout: 5_000 })
  })
})

const REDIS_SERVER = findOnPath('redis-server')

describe('with Redis down', () => {
  it('still delivers to this instance’s streams, numbered above the floor; logs it once', async () => {
    if (!REDIS_SERVER) throw new Error('redis-server is not on the PATH; this case needs one')
    const redis = new RestartableRedis(REDIS_SERVER, await stablePort())
    await redis.start()
    cleanups.push(() => redis.kill('SIGKILL'))
    const command = new Redis(redis.url, COMMAND_CONNECTION_OPTIONS)
    command.on('error', () => {})
    const bus = await createRedisBus({ url: redis.url, publisher: command, log })
    cleanups.push(async () => {
      await bus.close()
      command.disconnect()
    })
    const registry = new Registry()
    const { hub } = hubWith({ bus, replies: new RedisReplyLog(command), metrics: registry })
    const chat = randomUUID()
    const { sink } = stream(hub, chat, 0)
    await vi.waitFor(() => expect(bus.connected).toBe(true))
    expect((await hub.publish(chat, body(1))).seq).toBe(1)
    await vi.waitFor(() => expect(sink.seen).toEqual(['r1']))

    lines.length = 0
    await redis.kill('SIGKILL')
    await vi.waitFor(() => expect(command.status).not.toBe('ready'))
    const during = [await hub.publish(chat, body(2)), await hub.publish(chat, body(3))]
    expect(during.map((r) => r.seq)).toEqual([2, 3])
    expect(sink.seen).toEqual(['r1', 'r2', 'r3'])
    expect(hub.degraded).toBe(true)
    const degraded = () => lines.filter((l) => String(l.msg).includes('fan-out degraded'))
    expect(degraded()).toHaveLength(1)
    expect(degraded()[0]?.level).toBe('warn')
    expect((await metricValues(registry, 'chat_fanout_degraded'))[0]?.value).toBe(1)
    expect((await metricValues(registry, 'chat_fanout_local_only_total'))[0]?.value).toBe(2)

    // Back, empty (nothing persisted): numbers go on above what this instance saw.
    await redis.start()
    await vi.waitFor(() => expect(command.status).toBe('ready'), { timeout: 5_000 })
    await vi.waitFor(() => expect(bus.connected).toBe(true), { timeout: 5_000 })
    expect((await hub.publish(chat, body(4))).seq).toBe(4)
    await vi.waitFor(() => expect(sink.seen).toEqual(['r1', 'r2', 'r3', 'r4']))
    expect(hub.degraded).toBe(false)
    expect(degraded()).toHaveLength(1)
    expect(lines.filter((l) => String(l.msg).includes('fan-out recovered'))).toHaveLength(1)
    expect((await metricValues(registry, 'chat_fanout_degraded'))[0]?.value).toBe(0)
  })
})
