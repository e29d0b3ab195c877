import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { InProcessReplyLog, RedisReplyLog, type ReplyLogOptions, replyKeys } from './lib/replies.ts'
import type { Reply, ReplyLog } from './lib/streams.ts'

/**
 * The ring buffer and sequence (streams.ts ReplyLog), both implementations against the
 * same cases: the Redis one on the run's shared Redis (every chat id is fresh, so other
 * files using it at the same time do not matter), the in-process one on its own.
 */

const clients: Redis[] = []
afterAll(() => {
  for (const client of clients) client.disconnect()
})

function redisClient(): Redis {
  const client = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 })
  clients.push(client)
  return client
}

const reply = (n: number): Omit<Reply, 'seq'> => ({
  in_reply_to: `c-${n}`,
  action: 'ping',
  payload: { n, big: 123456789012345, text: 'line\nbreak "quoted"' },
})

interface Kind {
  name: string
  make(options?: ReplyLogOptions): ReplyLog
  /** A second client of the same buffer (another replica, for Redis). */
  twin(log: ReplyLog, options?: ReplyLogOptions): ReplyLog
}

const KINDS: Kind[] = [
  {
    name: 'Redis',
    make: (options) => new RedisReplyLog(redisClient(), options),
    twin: (_log, options) => new RedisReplyLog(redisClient(), options),
  },
  {
    name: 'in-process',
    make: (options) => new InProcessReplyLog(options),
    twin: (log) => log,
  },
]

describe.each(KINDS)('the $name reply log', (kind) => {
  it('numbers a fresh chat from 1 and gives back what it kept, in order', async () => {
    const log = kind.make()
    const chat = randomUUID()
    expect(await log.since(chat, 0)).toEqual([])
    expect(await log.latest(chat)).toBe(0)
    const appended = []
    for (let n = 1; n <= 5; n++) appended.push(await log.append(chat, reply(n)))
    expect(appended.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5])
    // Kept byte for byte: cjson would have re-encoded 15 digits as 1.2345678901234e+14.
    expect(await log.since(chat, 0)).toEqual(appended)
    expect(await log.since(chat, 3)).toEqual(appended.slice(3))
    expect(await log.since(chat, 5)).toEqual([])
    expect(appended[0]).toEqual({ seq: 1, ...reply(1) })
    expect(await log.latest(chat)).toBe(5)
    // Another chat has its own numbers.
    expect((await log.append(randomUUID(), reply(1))).seq).toBe(1)
  })

  it('keeps only the newest maxLength and says resync for what it pushed out', async () => {
    const log = kind.make({ maxLength: 3 })
    const chat = randomUUID()
    for (let n = 1; n <= 7; n++) await log.append(chat, reply(n))
    const held = [5, 6, 7].map((seq) => ({ seq, ...reply(seq) }))
    expect(await log.since(chat, 4)).toEqual(held)
    expect(await log.since(chat, 3)).toEqual({ resync: true, replies: held })
    expect(await log.since(chat, 0)).toEqual({ resync: true, replies: held })
    expect(await log.since(chat, 6)).toEqual(held.slice(2))
  })

  it('raises the number above the floor, so that numbers never repeat', async () => {
    const log = kind.make()
    const chat = randomUUID()
    expect((await log.append(chat, reply(1))).seq).toBe(1)
    expect((await log.append(chat, reply(2), 10)).seq).toBe(11)
    // A floor below the current number changes nothing.
    expect((await log.append(chat, reply(3), 5)).seq).toBe(12)
    expect(await log.latest(chat)).toBe(12)
    // 2..10 were never kept: a client at 1 is told.
    expect(await log.since(chat, 1)).toEqual({
      resync: true,
      replies: [
        { seq: 11, ...reply(2) },
        { seq: 12, ...reply(3) },
      ],
    })
    expect(await log.since(chat, 10)).toEqual([
      { seq: 11, ...reply(2) },
      { seq: 12, ...reply(3) },
    ])
  })

  it('gives concurrent appends from two clients distinct, increasing numbers', async () => {
    const one = kind.make()
    const two = kind.twin(one)
    const chat = randomUUID()
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, n) => (n % 2 ? one : two).append(chat, reply(n))),
    )
    const seqs = results.map((r) => r.seq).sort((a, b) => a - b)
    expect(seqs).toEqual(Array.from({ length: 60 }, (_, n) => n + 1))
    const held = await one.since(chat, 0)
    expect(Array.isArray(held) && held.map((r) => r.seq)).toEqual(seqs)
    // Each number is stored with the reply it was handed back with.
    for (const r of results) expect(Array.isArray(held) && held[r.seq - 1]).toEqual(r)
  })
})

describe('the Redis reply log’s bounds in time', () => {
  it('sets the ttl on both keys at every append, and forgets the chat after it', async () => {
    const redis = redisClient()
    let ttl = 30
    const log = new RedisReplyLog(redis, { ttlSeconds: () => ttl })
    const chat = randomUUID()
    await log.append(chat, reply(1))
    const keys = replyKeys(chat)
    expect(keys.seq.startsWith('chat:')).toBe(true)
    for (const key of [keys.seq, keys.replies]) {
      const left = await redis.ttl(key)
      expect(left).toBeGreaterThan(25)
      expect(left).toBeLessThanOrEqual(30)
    }
    // The config's idle timeout changed: the next append follows it.
    ttl = 1
    await log.append(chat, reply(2))
    for (const key of [keys.seq, keys.replies]) expect(await redis.ttl(key)).toBe(1)
    await sleep(2_100)
    expect(await redis.exists(keys.seq, keys.replies)).toBe(0)
    expect(await log.since(chat, 0)).toEqual([])
  })
})

describe('the in-process reply log’s bounds in time', () => {
  it('forgets a chat once its ttl passed since the last append', async () => {
    let now = 1_000_000
    const log = new InProcessReplyLog({ ttlSeconds: 60, now: () => now })
    const chat = randomUUID()
    await log.append(chat, reply(1))
    now += 59_000
    await log.append(chat, reply(2))
    now += 59_000
    // 118 s after the first, 59 s after the last: still held.
    expect(await log.since(chat, 0)).toEqual([
      { seq: 1, ...reply(1) },
      { seq: 2, ...reply(2) },
    ])
    now += 1_000
    expect(await log.since(chat, 0)).toEqual([])
    expect((await log.append(chat, reply(3))).seq).toBe(1)
  })

  it('hands out copies: changing a returned reply changes nothing held', async () => {
    const log = new InProcessReplyLog()
    const chat = randomUUID()
    const first = await log.append(chat, reply(1))
    first.payload.n = 99
    const held = (await log.since(chat, 0)) as Reply[]
    expect(held[0]?.payload.n).toBe(1)
  })
})
