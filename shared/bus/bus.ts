import type { Logger } from '#shared/log.ts'

/**
 * The message bus (DESIGN.md §4, §5): fire-and-forget messages on named channels, between
 * every replica of every function. Config hot-reload sends its hints on it, chat its
 * replies. One interface, two implementations: Redis pub/sub (redis-bus.ts) for replicas
 * in a cluster, and an in-process one (in-process-bus.ts) for `npm start`, where every
 * function shares one process.
 *
 * Delivery is at most once: a message published while a subscriber is disconnected is
 * lost for it. Users of the bus must not depend on it for correctness (config reconciles
 * from SQL on every `subscribed()` and periodically; chat resumes from its ring buffer).
 */

export interface BusHandlers {
  /** A message on one of the subscribed channels. Must not throw; errors are the handler's. */
  message(channel: string, message: string): void
  /**
   * The subscription is (again) in place: called once it first is, and after every
   * reconnection once the channels are subscribed again. Whatever was published in
   * between was not delivered, so this is when to catch up.
   */
  subscribed?(): void
  /** The connection carrying the subscription was lost (messages are not arriving). */
  lost?(error: unknown): void
}

export interface Subscription {
  /** Stops delivering to these handlers; resolves once unsubscribed. */
  close(): Promise<void>
}

export interface MessageBus {
  /**
   * Publishes to a channel. Resolves once handed to the bus; rejects when the bus cannot
   * take it right now (Redis down): the caller decides whether that matters.
   */
  publish(channel: string, message: string): Promise<void>
  /** Subscribes the handlers to exact channel names. */
  subscribe(channels: readonly string[], handlers: BusHandlers): Subscription
  /** Whether messages can flow right now (for metrics and logs). */
  readonly connected: boolean
  /** Ends every subscription and the bus's own connections. */
  close(): Promise<void>
}

/**
 * Hands one message to one subscription. A handler that throws, or an async one that
 * rejects, is logged with its channel and must not stop delivery to the others, nor become
 * an unhandled rejection: both buses deliver through this.
 */
export function deliverTo(
  handlers: BusHandlers,
  channel: string,
  message: string,
  log: Logger,
): void {
  const failed = (error: unknown) =>
    log.error({ err: error, channel }, 'bus message handler failed; delivering to the others')
  try {
    const result: unknown = handlers.message(channel, message)
    if (result instanceof Promise) result.catch(failed)
  } catch (error) {
    failed(error)
  }
}
