import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import type { TicketStore } from './lib/streams.ts'
import { InProcessTicketStore, RedisTicketStore, TICKET_TTL_SECONDS } from './lib/tickets.ts'

/** One-time WebSocket tickets (API.md: 30 s, single use, this user and chat), both stores. */

const clients: Redis[] = []
afterAll(() => {
  for (const client of clients) client.disconnect()
})

function redisClient(): Redis {
  const client = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 })
  clients.push(client)
  return client
}

interface Kind {
  name: string
  make(options?: { ttlSeconds?: number }): TicketStore
  /** The same store as another replica sees it. */
  twin(store: TicketStore): TicketStore
}

const KINDS: Kind[] = [
  {
    name: 'Redis',
    make: (options) => new RedisTicketStore(redisClient(), options),
    twin: () => new RedisTicketStore(redisClient()),
  },
  { name: 'in-process', make: (options) => new InProcessTicketStore(options), twin: (s) => s },
]

describe.each(KINDS)('the $name ticket store', (kind) => {
  it('issues 32 random bytes for 30 s, redeemable once for its user and chat', async () => {
    const store = kind.make()
    const user = randomUUID()
    const chat = randomUUID()
    const issued = await store.issue(user, chat)
    expect(issued.expires_in).toBe(TICKET_TTL_SECONDS)
    expect(issued.expires_in).toBe(30)
    expect(Buffer.from(issued.ticket, 'base64url')).toHaveLength(32)
    expect(issued.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect((await store.issue(user, chat)).ticket).not.toBe(issued.ticket)
    expect(await kind.twin(store).redeem(issued.ticket, chat)).toBe(user)
    expect(await store.redeem(issued.ticket, chat)).toBeUndefined()
  })

  it('lets exactly one of 20 concurrent redeems win', async () => {
    const store = kind.make()
    const user = randomUUID()
    const chat = randomUUID()
    const { ticket } = await store.issue(user, chat)
    const replicas = Array.from({ length: 20 }, (_, n) => (n % 2 ? store : kind.twin(store)))
    const results = await Promise.all(replicas.map((replica) => replica.redeem(ticket, chat)))
    expect(results.filter((r) => r === user)).toHaveLength(1)
    expect(results.filter((r) => r === undefined)).toHaveLength(19)
  })

  it('refuses a ticket for another chat, and it is spent by that', async () => {
    const store = kind.make()
    const user = randomUUID()
    const chat = randomUUID()
    const { ticket } = await store.issue(user, chat)
    expect(await store.redeem(ticket, randomUUID())).toBeUndefined()
    expect(await store.redeem(ticket, chat)).toBeUndefined()
  })

  it('refuses an unknown, malformed or expired ticket', async () => {
    const store = kind.make({ ttlSeconds: 1 })
    const chat = randomUUID()
    expect(await store.redeem('x'.repeat(43), chat)).toBeUndefined()
    expect(await store.redeem('', chat)).toBeUndefined()
    expect(await store.redeem('not a ticket at all', chat)).toBeUndefined()
    const { ticket } = await store.issue(randomUUID(), chat)
    await sleep(1_200)
    expect(await store.redeem(ticket, chat)).toBeUndefined()
  })
})

describe('the Redis ticket store', () => {
  it('stores a ticket with a 30 s expiry under a chat: key, and deletes it on redeem', async () => {
    const redis = redisClient()
    const store = new RedisTicketStore(redis)
    const chat = randomUUID()
    const { ticket } = await store.issue(randomUUID(), chat)
    const key = `chat:ticket:${ticket}`
    const ttl = await redis.ttl(key)
    expect(ttl).toBeGreaterThan(25)
    expect(ttl).toBeLessThanOrEqual(30)
    await store.redeem(ticket, chat)
    expect(await redis.exists(key)).toBe(0)
  })
})
