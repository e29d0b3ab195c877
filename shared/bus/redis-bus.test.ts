import type { ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import { createLogger } from '#shared/log.ts'
import { connectRedis } from '#shared/runtime/process.ts'
import { recordBus, uniqueChannel } from '#test/harness/bus.ts'
import { findOnPath, freePort, spawnRedis, stopProcess } from '#test/harness/local-servers.ts'
import { tcpProxy } from '#test/harness/tcp-proxy.ts'
import type { MessageBus } from './bus.ts'
import { createRedisBus } from './redis-bus.ts'

/**
 * The Redis bus where Redis itself misbehaves. The run's shared Redis serves the plain
 * cases; the outage cases kill and restart a redis-server of their own (never the shared
 * one: other test files use it at the same time).
 */

const log = createLogger('redis-bus-test', { level: 'silent' })
const REDIS_SERVER = findOnPath('redis-server')

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A redis-server on `port` that this file may SIGKILL. */
async function startRedisOn(port: number): Promise<ChildProcess> {
  if (!REDIS_SERVER) throw new Error('redis-server is not on the PATH; the outage cases need one')
  const child = await spawnRedis(REDIS_SERVER, port)
  cleanups.push(() => kill(child))
  return child
}

const kill = (child: ChildProcess) => stopProcess(child, 'SIGKILL')

async function bus(url: string, publisher?: Redis): Promise<MessageBus> {
  const created = await createRedisBus({ url, log, ...(publisher ? { publisher } : {}) })
  cleanups.push(() => created.close())
  return created
}

/** A plain client, to look at the server from outside the bus. */
function inspector(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {}) // the outage tests expect it to see errors
  cleanups.push(() => redis.disconnect())
  return redis
}

async function clientCount(redis: Redis): Promise<number> {
  return Number(/connected_clients:(\d+)/.exec(await redis.info('clients'))?.[1])
}

async function subscribers(redis: Redis, channel: string): Promise<number> {
  const [, count] = (await redis.pubsub('NUMSUB', channel)) as [string, number]
  return Number(count)
}

/**
 * Everything that would reach the process's last resort: unhandled rejections, uncaught
 * exceptions, and ioredis' report of an 'error' event nobody listens to.
 */
function watchUnhandled(): () => unknown[] {
  const seen: unknown[] = []
  const record = (what: unknown) => seen.push(what)
  process.on('unhandledRejection', record)
  process.on('uncaughtException', record)
  const consoleError = vi.spyOn(console, 'error')
  cleanups.push(() => {
    process.off('unhandledRejection', record)
    process.off('uncaughtException', record)
    consoleError.mockRestore()
  })
  return () => [...seen, ...consoleError.mock.calls]
}

const channelName = (what: string) => uniqueChannel('redis-bus-test', what)

describe('the Redis bus', () => {
  it('delivers a burst of 200 messages, all of them, in order', async () => {
    const url = inject('redisUrl')
    const [publisher, subscriber] = [await bus(url), await bus(url)]
    const channel = channelName('burst')
    const rec = recordBus()
    subscriber.subscribe([channel], rec.handlers)
    await vi.waitFor(() => expect(rec.subscribed).toBe(1))

    const sent = Array.from({ length: 200 }, (_, i) => `message ${i}`)
    await Promise.all(sent.map((message) => publisher.publish(channel, message)))

    await vi.waitFor(() => expect(rec.got).toHaveLength(200), 5000)
    expect(rec.got.map(([, message]) => message)).toEqual(sent)
  })

  it('calls subscribed() only once Redis holds the subscription, even over a slow link', async () => {
    const url = inject('redisUrl')
    const direct = inspector(url)
    // Whatever the bus sends reaches Redis 150 ms late; another replica's PUBLISH does not.
    const proxy = await tcpProxy(url, { delayMs: 150 })
    cleanups.push(() => proxy.close())
    const slow = await bus(proxy.url)
    const failures: unknown[] = []
    /** In subscribed(): at once, another replica publishes on every channel subscribed. */
    const publishing = (name: string, channels: string[]) => {
      const rec = recordBus()
      const subscribed = () => {
        rec.subscribed++
        for (const channel of channels) {
          direct.publish(channel, `${name} ${rec.subscribed}`).catch((e) => failures.push(e))
        }
      }
      return { rec, handlers: { ...rec.handlers, subscribed } }
    }
    const [x, y] = [channelName('x'), channelName('y')]
    const a = publishing('a', [x])
    slow.subscribe([x], a.handlers) // while its connection is still opening
    await vi.waitFor(() => expect(a.rec.got).toEqual([[x, 'a 1']]), 3000)
    const b = publishing('b', [x, y])
    slow.subscribe([x, y], b.handlers) // on a connection up and subscribed
    await vi.waitFor(
      () =>
        expect(b.rec.got).toEqual([
          [x, 'b 1'],
          [y, 'b 1'],
        ]),
      3000,
    )

    proxy.drop() // and after a reconnection
    await vi.waitFor(() => expect([a.rec.lost.length, b.rec.lost.length]).toEqual([1, 1]))
    await vi.waitFor(() => {
      expect(a.rec.got).toContainEqual([x, 'a 2'])
      expect(b.rec.got).toContainEqual([y, 'b 2'])
    }, 5000)
    expect(failures).toEqual([])
  })

  it('unsubscribes a shared channel only when its last subscription closes', async () => {
    const url = inject('redisUrl')
    const [server, subscriber] = [inspector(url), await bus(url)]
    const [x, y] = [channelName('x'), channelName('y')]
    const [a, b] = [recordBus(), recordBus()]
    const first = subscriber.subscribe([x, y], a.handlers)
    const second = subscriber.subscribe([x], b.handlers)
    await vi.waitFor(() => expect([a.subscribed, b.subscribed]).toEqual([1, 1]))
    expect([await subscribers(server, x), await subscribers(server, y)]).toEqual([1, 1])

    await first.close()
    expect([await subscribers(server, x), await subscribers(server, y)]).toEqual([1, 0])
    await second.close()
    expect(await subscribers(server, x)).toBe(0)
  })

  it('opens its subscriber connection at the first subscribe and closes what it opened', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`
    await startRedisOn(Number(new URL(url).port))
    const server = inspector(url)
    await vi.waitFor(async () => expect(await clientCount(server)).toBe(1))

    const own = await bus(url)
    await vi.waitFor(async () => expect(await clientCount(server)).toBe(2)) // its publisher
    expect(own.connected).toBe(true) // nothing subscribed: the publisher's state
    const rec = recordBus()
    const channel = channelName('x')
    own.subscribe([channel], rec.handlers)
    await vi.waitFor(() => expect(rec.subscribed).toBe(1))
    expect(await clientCount(server)).toBe(3)
    expect(own.connected).toBe(true)

    await own.close()
    expect(own.connected).toBe(false)
    await vi.waitFor(async () => expect(await clientCount(server)).toBe(1))
    expect(rec.lost).toEqual([]) // closing is not losing

    // A publisher it was given stays open, and it is the only command connection.
    const given = await connectRedis(url)
    cleanups.push(() => given.disconnect())
    const sharing = await bus(url, given)
    sharing.subscribe([channel], recordBus().handlers)
    await vi.waitFor(async () => expect(await subscribers(server, channel)).toBe(1))
    expect(await clientCount(server)).toBe(3)
    await sharing.close()
    await vi.waitFor(async () => expect(await clientCount(server)).toBe(2))
    expect(await given.ping()).toBe('PONG')
  })

  it('survives its Redis being killed and started again on the same port', async () => {
    const unhandled = watchUnhandled()
    const port = await freePort()
    const url = `redis://127.0.0.1:${port}`
    let redis = await startRedisOn(port)
    const own = await bus(url)
    const [x, y] = [channelName('x'), channelName('y')]
    const a = recordBus()
    own.subscribe([x], a.handlers)
    await vi.waitFor(() => expect(a.subscribed).toBe(1))
    await own.publish(x, 'before')
    await vi.waitFor(() => expect(a.got).toEqual([[x, 'before']]))

    await kill(redis)
    await vi.waitFor(() => expect(a.lost).toHaveLength(1), 2000)
    expect(a.lost[0]).toBeInstanceOf(Error)
    expect(own.connected).toBe(false)
    const publishing = performance.now()
    await expect(own.publish(x, 'during')).rejects.toThrow()
    expect(performance.now() - publishing).toBeLessThan(1000)

    // Subscribed while Redis is away: it gets its subscribed() when Redis is back.
    const b = recordBus()
    own.subscribe([y], b.handlers)
    // Long enough for a backoff past 1 s: uncapped, the next attempt would be seconds away.
    await sleep(4000)
    expect({ lost: a.lost.length, a: a.subscribed, b: b.subscribed, bLost: b.lost }).toEqual({
      lost: 1, // once per drop, not once per failed attempt
      a: 1,
      b: 0,
      bLost: [],
    })

    redis = await startRedisOn(port)
    const restarted = performance.now()
    await vi.waitFor(() => expect([a.subscribed, b.subscribed]).toEqual([2, 1]), 5000)
    // The backoff is capped at 1 s (ioredis' default would be waiting up to 5 s by now).
    expect(performance.now() - restarted).toBeLessThan(1800)
    expect(own.connected).toBe(true)

    // Published after subscribed(): it arrives, from another client and from the bus.
    await inspector(url).publish(x, 'after')
    await vi.waitFor(() =>
      expect(a.got).toEqual([
        [x, 'before'],
        [x, 'after'],
      ]),
    )
    // Its publisher is back on the same capped schedule: a writer whose hints fail for
    // seconds after Redis is back would leave every change to the reconcile.
    await vi.waitFor(() => own.publish(y, 'published by the bus'), { timeout: 5000, interval: 20 })
    expect(performance.now() - restarted).toBeLessThan(1800)
    await vi.waitFor(() => expect(b.got).toContainEqual([y, 'published by the bus']))

    await own.close()
    await kill(redis)
    await sleep(100) // anything late from the closed clients would show here
    expect(unhandled()).toEqual([])
  })
})
