import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import { createLogger, type Logger } from '#shared/log.ts'
import { type BusRecorder, recordBus, uniqueChannel } from '#test/harness/bus.ts'
import type { MessageBus, Subscription } from './bus.ts'
import { createInProcessBus } from './in-process-bus.ts'
import { createRedisBus } from './redis-bus.ts'

/**
 * What every bus does, run against both implementations. With Redis the publisher and
 * the subscriber are two buses (two replicas) on the run's shared Redis; in process they
 * are one (one process). Channel names are unique to this file's run, because other test
 * files use the same Redis at the same time.
 */

interface Replicas {
  publisher: MessageBus
  subscriber: MessageBus
}

const IMPLEMENTATIONS: Array<{ name: string; replicas(log: Logger): Promise<Replicas> }> = [
  {
    name: 'in-process',
    async replicas(log) {
      const bus = createInProcessBus({ log })
      return { publisher: bus, subscriber: bus }
    },
  },
  {
    name: 'redis',
    async replicas(log) {
      const url = inject('redisUrl')
      return {
        publisher: await createRedisBus({ url, log }),
        subscriber: await createRedisBus({ url, log }),
      }
    },
  },
]

/** A logger whose lines (warn and above) the test can read. */
function capturedLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const log = createLogger('bus-test', {
    level: 'warn',
    destination: { write: (line) => lines.push(JSON.parse(line)) },
  })
  return { log, lines }
}

const channelName = (what: string) => uniqueChannel('bus-test', what)

describe.each(IMPLEMENTATIONS)('the $name bus', ({ replicas }) => {
  let opened: MessageBus[] = []
  afterEach(async () => {
    await Promise.all(opened.map((bus) => bus.close()))
    opened = []
  })

  async function open(log: Logger = capturedLog().log): Promise<Replicas> {
    const pair = await replicas(log)
    opened.push(pair.publisher, pair.subscriber)
    // A publish on a connection still connecting is refused at once (fail-fast:
    // COMMAND_CONNECTION_OPTIONS); these tests are about delivery, so they start once it is up.
    await vi.waitFor(() => expect(pair.publisher.connected).toBe(true))
    return pair
  }

  async function subscribed(...recs: BusRecorder[]): Promise<void> {
    await vi.waitFor(() => {
      for (const rec of recs) expect(rec.subscribed).toBe(1)
    })
  }

  /**
   * Waits until everything published before it has been handed to every handler: one
   * subscriber connection delivers in publishing order, so once a last message on a
   * channel of its own has arrived, so has every earlier one, wherever it was going.
   */
  async function fence({ publisher, subscriber }: Replicas): Promise<void> {
    const channel = channelName('fence')
    const rec = recordBus()
    const subscription = subscriber.subscribe([channel], rec.handlers)
    await subscribed(rec)
    await publisher.publish(channel, 'fence')
    await vi.waitFor(() => expect(rec.got).toEqual([[channel, 'fence']]))
    await subscription.close()
  }

  it('delivers a message to every subscriber of its channel and to no other', async () => {
    const replicas = await open()
    const [x, y, z] = [channelName('x'), channelName('y'), channelName('z')]
    const [a, b, c, d] = [recordBus(), recordBus(), recordBus(), recordBus()]
    replicas.subscriber.subscribe([x], a.handlers)
    replicas.subscriber.subscribe([x, y], b.handlers)
    replicas.subscriber.subscribe([y], c.handlers)
    replicas.subscriber.subscribe([z], d.handlers)
    await subscribed(a, b, c, d)

    await replicas.publisher.publish(x, 'one')
    await replicas.publisher.publish(y, 'two')
    await replicas.publisher.publish(x, 'three')
    await fence(replicas)

    expect({ a: a.got, b: b.got, c: c.got, d: d.got }).toEqual({
      a: [
        [x, 'one'],
        [x, 'three'],
      ],
      b: [
        [x, 'one'],
        [y, 'two'],
        [x, 'three'],
      ],
      c: [[y, 'two']],
      d: [],
    })
  })

  it('calls subscribed() once, later, when nothing published from then on can be lost', async () => {
    const replicas = await open()
    // Repeated: a bus that announced before Redis acknowledged would lose some of these.
    for (let i = 0; i < 20; i++) {
      const channel = channelName(`first-${i}`)
      const failures: unknown[] = []
      let returned = false
      let calledInside = false
      const rec = recordBus()
      replicas.subscriber.subscribe([channel], {
        ...rec.handlers,
        subscribed() {
          rec.subscribed++
          calledInside ||= !returned
          replicas.publisher.publish(channel, `first ${i}`).catch((e) => failures.push(e))
        },
      })
      returned = true
      await vi.waitFor(
        () =>
          expect({ got: rec.got, failures }).toEqual({
            got: [[channel, `first ${i}`]],
            failures: [],
          }),
        2000,
      )
      expect({ calledInside, failures, subscribed: rec.subscribed }).toEqual({
        calledInside: false,
        failures: [],
        subscribed: 1,
      })
    }
  })

  it('delivers after publish() has returned, never inside it', async () => {
    const replicas = await open()
    const x = channelName('x')
    let publishing = false
    const insidePublish: boolean[] = []
    const rec = recordBus(() => insidePublish.push(publishing))
    replicas.subscriber.subscribe([x], rec.handlers)
    await subscribed(rec)
    publishing = true
    const published = replicas.publisher.publish(x, 'one')
    publishing = false
    await published
    await vi.waitFor(() => expect(rec.got).toEqual([[x, 'one']]))
    expect(insidePublish).toEqual([false])
  })

  it('close() of one subscription leaves the others on the same channel', async () => {
    const replicas = await open()
    const x = channelName('x')
    const [a, b, c] = [recordBus(), recordBus(), recordBus()]
    const first: Subscription = replicas.subscriber.subscribe([x], a.handlers)
    replicas.subscriber.subscribe([x], b.handlers)
    const third = replicas.subscriber.subscribe([x], c.handlers)
    await subscribed(a, b, c)

    await first.close()
    await first.close() // twice is harmless
    await replicas.publisher.publish(x, 'after one closed')
    await fence(replicas) // delivered before the next close, which would stop it
    await third.close()
    await replicas.publisher.publish(x, 'after two closed')
    await fence(replicas)

    expect({ a: a.got, b: b.got, c: c.got }).toEqual({
      a: [],
      b: [
        [x, 'after one closed'],
        [x, 'after two closed'],
      ],
      c: [[x, 'after one closed']],
    })
  })

  it('keeps delivering to the others when a handler throws, and logs it with the channel', async () => {
    const { log, lines } = capturedLog()
    const replicas = await open(log)
    const x = channelName('x')
    let thrown = 0
    // Subscribed first, so a bus that stopped at the first failure would starve b.
    replicas.subscriber.subscribe([x], {
      message() {
        thrown++
        throw new Error('handler bug')
      },
    })
    const b = recordBus()
    replicas.subscriber.subscribe([x], b.handlers)
    await subscribed(b)

    await replicas.publisher.publish(x, 'one')
    await replicas.publisher.publish(x, 'two')
    await fence(replicas)

    expect(thrown).toBe(2)
    expect(b.got).toEqual([
      [x, 'one'],
      [x, 'two'],
    ])
    const failures = lines.filter((line) => line.level === 'error')
    expect(failures, JSON.stringify(lines)).toHaveLength(2)
    expect(failures[0]).toMatchObject({ channel: x, err: { message: 'handler bug' } })
  })

  it('refuses to publish or subscribe once closed', async () => {
    const replicas = await open()
    const x = channelName('x')
    await replicas.subscriber.close()
    await expect(replicas.subscriber.publish(x, 'late')).rejects.toThrow(/closed/)
    expect(() => replicas.subscriber.subscribe([x], recordBus().handlers)).toThrow(/closed/)
  })
})
