import type { Logger } from '#shared/log.ts'
import { type BusHandlers, deliverTo, type MessageBus, type Subscription } from './bus.ts'

/**
 * The bus for `npm start`, where every function shares one process (bus.ts). Nothing can
 * be lost, so `connected` is always true and `lost()` is never called.
 *
 * Delivery is never synchronous: `publish()` hands the message to a later turn of the
 * event loop, so a publisher inside a database transaction callback is not re-entered by
 * its own subscribers, and sees the same ordering as with Redis (publish returns first).
 * Messages reach the subscriptions that existed when they were published, in order.
 * `subscribed()` comes once, asynchronously, before any message can be delivered.
 */

interface Entry {
  readonly channels: readonly string[]
  readonly handlers: BusHandlers
  open: boolean
}

export function createInProcessBus(options: { log: Logger }): MessageBus {
  const { log } = options
  const byChannel = new Map<string, Set<Entry>>()
  let closed = false

  function deliver(entry: Entry, channel: string, message: string): void {
    if (entry.open) deliverTo(entry.handlers, channel, message, log)
  }

  function unsubscribe(entry: Entry): void {
    entry.open = false
    for (const channel of entry.channels) {
      const others = byChannel.get(channel)
      others?.delete(entry)
      if (others?.size === 0) byChannel.delete(channel)
    }
  }

  return {
    connected: true,

    async publish(channel, message) {
      if (closed) throw new Error('the bus is closed')
      const targets = byChannel.get(channel)
      if (!targets) return
      const snapshot = [...targets]
      setImmediate(() => {
        for (const entry of snapshot) deliver(entry, channel, message)
      })
    },

    subscribe(channels, handlers): Subscription {
      if (closed) throw new Error('the bus is closed')
      const entry: Entry = { channels: [...new Set(channels)], handlers, open: true }
      for (const channel of entry.channels) {
        const set = byChannel.get(channel) ?? new Set<Entry>()
        set.add(entry)
        byChannel.set(channel, set)
      }
      // A microtask runs before any setImmediate delivery, so this precedes every message.
      queueMicrotask(() => {
        if (!entry.open) return
        try {
          handlers.subscribed?.()
        } catch (error) {
          log.error({ err: error, channels: entry.channels }, 'bus subscribed() handler failed')
        }
      })
      return {
        async close() {
          unsubscribe(entry)
        },
      }
    },

    async close() {
      closed = true
      for (const set of byChannel.values()) for (const entry of set) entry.open = false
      byChannel.clear()
    },
  }
}
