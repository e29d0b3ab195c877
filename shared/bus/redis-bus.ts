import type { Redis, RedisOptions } from 'ioredis'
import { reconnectDelay } from '#shared/backoff.ts'
import type { Logger } from '#shared/log.ts'
import { type BusHandlers, deliverTo, type MessageBus, type Subscription } from './bus.ts'

/**
 * The bus over Redis pub/sub, for replicas in a cluster (bus.ts). Two connections:
 *
 * - Publishing uses the process's one fail-fast command connection (`connectRedis` in
 *   shared/runtime/process.ts), so `publish()` rejects at once while Redis is down
 *   instead of queueing behind it.
 * - Subscribing uses a connection of its own, opened at the first `subscribe()`: a
 *   connection in subscriber mode cannot run other commands. It reconnects forever (backoff
 *   capped at 1 s) and, after every (re)connection, subscribes every channel again itself
 *   and only then calls `subscribed()`: ioredis' `autoResubscribe` gives no signal when it
 *   is done, and "done" is exactly when a caller may reconcile what it missed.
 *
 * `subscribed()` and `lost()` alternate per subscription: `lost()` once when a connection
 * that had delivered `subscribed()` drops, however many reconnection attempts fail after.
 * A message may reach a handler just before its `subscribed()` (the acknowledgement and
 * the next message can arrive in one read); it is delivered rather than dropped.
 *
 * `connected`: while anything is subscribed, whether the subscriber connection is up with
 * every channel acknowledged; otherwise whether the publishing connection is up.
 */

export interface RedisBusOptions {
  url: string
  /** The process's command connection; without one the bus opens (and closes) its own. */
  publisher?: Redis
  log: Logger
}

/**
 * A fail-fast command connection: a command while Redis is down rejects at once instead of
 * queueing behind it. The process's own (`connectRedis`) and a bus's own publisher.
 */
export const COMMAND_CONNECTION_OPTIONS: RedisOptions = {
  commandTimeout: 200,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  retryStrategy: reconnectDelay,
}

const SUBSCRIBER_OPTIONS: RedisOptions = {
  retryStrategy: reconnectDelay,
  // We resubscribe on 'ready' ourselves; ioredis must not send a second, stale set.
  autoResubscribe: false,
  autoResendUnfulfilledCommands: false,
  // (UN)SUBSCRIBE is only sent while ready; what is wanted meanwhile goes out on 'ready'.
  enableOfflineQueue: false,
  // A drop rejects the (UN)SUBSCRIBEs in flight instead of leaving them pending forever.
  maxRetriesPerRequest: 0,
  connectionName: 'bus-subscriber',
}

/** How long `close()` waits for QUIT before it drops a connection anyway. */
const QUIT_TIMEOUT_MS = 1000

interface Entry {
  readonly channels: readonly string[]
  readonly handlers: BusHandlers
  open: boolean
  /** `subscribed()` was called and `lost()` has not been since. */
  live: boolean
}

/** Loads ioredis only here, as `connectRedis` does: a process without Redis never pays for it. */
export async function createRedisBus(options: RedisBusOptions): Promise<MessageBus> {
  const { Redis } = await import('ioredis')
  const { url, log } = options
  const ownsPublisher = options.publisher === undefined
  const publisher = options.publisher ?? new Redis(url, COMMAND_CONNECTION_OPTIONS)
  // The owner of a given publisher handles its errors too; this only keeps ours from
  // ever being an unhandled 'error' event.
  const onPublisherError = (error: unknown) => log.debug({ err: error }, 'bus publisher error')
  publisher.on('error', onPublisherError)

  const entries = new Set<Entry>()
  const byChannel = new Map<string, Set<Entry>>()
  let subscriber: Redis | undefined
  let closed = false
  /** Every channel is acknowledged on the current subscriber connection. */
  let flowing = false
  /** Counts subscriber connections, so that a late acknowledgement is not mistaken. */
  let connection = 0
  let lastError: unknown
  /** An outage was logged (at warn) and its end is yet to be. */
  let outage = false

  function call(entry: Entry, hook: 'subscribed' | 'lost', error?: unknown): void {
    try {
      if (hook === 'lost') entry.handlers.lost?.(error)
      else entry.handlers.subscribed?.()
    } catch (failure) {
      log.error({ err: failure, channels: entry.channels }, `bus ${hook}() handler failed`)
    }
  }

  function announce(entry: Entry): void {
    if (!entry.open || entry.live) return
    entry.live = true
    call(entry, 'subscribed')
  }

  function deliver(channel: string, message: string): void {
    const targets = byChannel.get(channel)
    if (!targets) return
    // A copy: a handler may close or open subscriptions while we iterate.
    for (const entry of [...targets]) {
      if (entry.open) deliverTo(entry.handlers, channel, message, log)
    }
  }

  function subscribeTo(redis: Redis, channels: readonly string[]): Promise<unknown> {
    return channels.length ? redis.subscribe(...channels) : Promise.resolve()
  }

  /** After every (re)connection: the whole set, then `subscribed()` for everyone waiting. */
  function resubscribe(redis: Redis): void {
    if (closed || redis.status !== 'ready') return
    const epoch = ++connection
    lastError = undefined
    const waiting = [...entries]
    subscribeTo(redis, [...byChannel.keys()]).then(
      () => {
        if (closed || epoch !== connection) return
        flowing = true
        if (outage) log.info('bus subscriber reconnected; channels subscribed again')
        outage = false
        for (const entry of waiting) announce(entry)
      },
      (error: unknown) => {
        if (closed || epoch !== connection || redis.status !== 'ready') return // dropped meanwhile
        // Refused with the connection up (an ACL, say): start over rather than sit deaf.
        log.error({ err: error }, 'bus subscriber could not subscribe; reconnecting')
        redis.disconnect(true)
      },
    )
  }

  function dropped(): void {
    if (closed) return
    flowing = false
    const error = lastError ?? new Error('the Redis subscriber connection closed')
    const live = [...entries].filter((entry) => entry.live)
    if (live.length === 0) return
    if (!outage) log.warn({ err: error }, 'bus subscriber lost Redis; reconnecting')
    outage = true
    for (const entry of live) {
      entry.live = false
      call(entry, 'lost', error)
    }
  }

  function subscriberConnection(): Redis {
    if (subscriber) return subscriber
    const redis = new Redis(url, SUBSCRIBER_OPTIONS)
    redis.on('error', (error: unknown) => {
      lastError = error
      if (!outage) log.warn({ err: error }, 'bus subscriber cannot reach Redis; retrying')
      else log.debug({ err: error }, 'bus subscriber error')
      outage = true
    })
    redis.on('ready', () => resubscribe(redis))
    redis.on('close', dropped)
    redis.on('message', deliver)
    subscriber = redis
    return redis
  }

  async function unsubscribe(entry: Entry): Promise<void> {
    if (!entry.open) return
    entry.open = false
    entry.live = false
    entries.delete(entry)
    const unused: string[] = []
    for (const channel of entry.channels) {
      const others = byChannel.get(channel)
      others?.delete(entry)
      if (others?.size === 0) {
        byChannel.delete(channel)
        unused.push(channel)
      }
    }
    // Not ready: the next 'ready' subscribes only what is still wanted.
    if (unused.length === 0 || subscriber?.status !== 'ready') return
    await subscriber.unsubscribe(...unused).catch((error: unknown) => {
      // Only a dropped connection fails it, and a new one will not have these channels.
      log.debug({ err: error }, 'bus unsubscribe did not complete')
    })
  }

  return {
    get connected() {
      if (closed) return false
      if (entries.size === 0) return publisher.status === 'ready'
      return flowing && subscriber?.status === 'ready'
    },

    async publish(channel, message) {
      if (closed) throw new Error('the bus is closed')
      await publisher.publish(channel, message)
    },

    subscribe(channels, handlers): Subscription {
      if (closed) throw new Error('the bus is closed')
      const entry: Entry = { channels: [...new Set(channels)], handlers, open: true, live: false }
      entries.add(entry)
      for (const channel of entry.channels) {
        const set = byChannel.get(channel) ?? new Set<Entry>()
        set.add(entry)
        byChannel.set(channel, set)
      }
      const redis = subscriberConnection()
      if (redis.status === 'ready') {
        // All of its channels, shared ones too: their acknowledgement (after any earlier
        // SUBSCRIBE of the same channel) is what says this subscription is in place.
        const epoch = connection
        subscribeTo(redis, entry.channels).then(
          () => {
            if (epoch === connection) announce(entry)
          },
          // Dropped before the acknowledgement: the next 'ready' subscribes it.
          (error: unknown) => log.debug({ err: error }, 'bus subscribe did not complete'),
        )
      }
      return { close: () => unsubscribe(entry) }
    },

    async close() {
      if (closed) return
      closed = true
      flowing = false
      for (const entry of entries) entry.open = false
      entries.clear()
      byChannel.clear()
      await Promise.all([
        subscriber ? quit(subscriber) : undefined,
        ownsPublisher ? quit(publisher) : undefined,
      ])
      if (!ownsPublisher) publisher.off('error', onPublisherError)
    },
  }
}

/** QUIT when it can be sent (bounded: a hung Redis must not hang shutdown), then drop. */
async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, QUIT_TIMEOUT_MS)
    })
    await Promise.race([
      redis.quit().then(
        () => {},
        () => {},
      ),
      timeout,
    ])
    clearTimeout(timer)
  }
  // Also stops the reconnection loop of a connection that is down.
  redis.disconnect()
}
