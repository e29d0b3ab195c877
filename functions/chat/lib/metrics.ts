import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { getOrCreate, perRegistry } from '#shared/http/metrics.ts'

/**
 * The chat streams' metrics (DESIGN.md §5), on the function's registry. Without one
 * (tests, tools) every call is a no-op. Get-or-create, as shared/http/metrics.ts does: two
 * hubs on one registry (`npm start`, tests) share the series instead of throwing.
 */

export type Transport = 'ws' | 'sse'

export interface ChatMetrics {
  opened(transport: Transport): void
  /** A stream ended; `code` is the close code it ended with. */
  closed(transport: Transport, code: number): void
  /** A stream refused before it opened (1008, 4404 at the handshake): counted, never open. */
  refused(transport: Transport, code: number): void
  delivered(transport: Transport): void
  /** Publish → written to a stream, for live deliveries (not replays). */
  fanoutLatency(seconds: number): void
  /** The ring buffer no longer held what a stream needed: a resync frame went out. */
  resync(): void
  /** Whether fan-out runs on this instance alone (Redis down). */
  degraded(on: boolean): void
  /** A reply delivered to this instance's streams only. */
  localOnly(): void
  /** A chat was opened (its row committed; not an Idempotency-Key replay). */
  chatOpened(): void
  /** A chat was closed by its user. Expiry is PostgreSQL's and is not seen here. */
  chatClosed(): void
}

const NO_METRICS: ChatMetrics = {
  opened() {},
  closed() {},
  refused() {},
  delivered() {},
  fanoutLatency() {},
  resync() {},
  degraded() {},
  localOnly() {},
  chatOpened() {},
  chatClosed() {},
}

export const chatMetrics = perRegistry(createChatMetrics, NO_METRICS)

function createChatMetrics(registry: Registry): ChatMetrics {
  const registers = [registry]
  const open = getOrCreate(
    registry,
    'chat_connections_open',
    () =>
      new Gauge({
        name: 'chat_connections_open',
        help: 'Open chat streams on this instance, by transport.',
        labelNames: ['transport'],
        registers,
      }),
  )
  const closes = getOrCreate(
    registry,
    'chat_stream_closes_total',
    () =>
      new Counter({
        name: 'chat_stream_closes_total',
        help: 'Chat streams ended, by transport and close code.',
        labelNames: ['transport', 'code'],
        registers,
      }),
  )
  const delivered = getOrCreate(
    registry,
    'chat_replies_delivered_total',
    () =>
      new Counter({
        name: 'chat_replies_delivered_total',
        help: 'Replies written to chat streams, by transport.',
        labelNames: ['transport'],
        registers,
      }),
  )
  const latency = getOrCreate(
    registry,
    'chat_fanout_latency_seconds',
    () =>
      new Histogram({
        name: 'chat_fanout_latency_seconds',
        help: 'From publishing a reply to writing it to a stream, on any instance.',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        registers,
      }),
  )
  const resyncs = getOrCreate(
    registry,
    'chat_resyncs_total',
    () =>
      new Counter({
        name: 'chat_resyncs_total',
        help: 'Resync frames sent: the ring buffer no longer held replies a stream needed.',
        registers,
      }),
  )
  const degraded = getOrCreate(
    registry,
    'chat_fanout_degraded',
    () =>
      new Gauge({
        name: 'chat_fanout_degraded',
        help: '1 while replies reach only this instance’s streams (Redis down), else 0.',
        registers,
      }),
  )
  const localOnly = getOrCreate(
    registry,
    'chat_fanout_local_only_total',
    () =>
      new Counter({
        name: 'chat_fanout_local_only_total',
        help: 'Replies delivered to this instance’s streams only, because Redis was down.',
        registers,
      }),
  )
  const chatsOpened = getOrCreate(
    registry,
    'chats_opened_total',
    () => new Counter({ name: 'chats_opened_total', help: 'Chats opened.', registers }),
  )
  const chatsClosed = getOrCreate(
    registry,
    'chats_closed_total',
    () =>
      new Counter({
        name: 'chats_closed_total',
        help: 'Chats closed by their user (expired ones are not counted).',
        registers,
      }),
  )
  degraded.set(0)
  return {
    opened: (transport) => open.inc({ transport }),
    closed(transport, code) {
      open.dec({ transport })
      closes.inc({ transport, code: String(code) })
    },
    refused: (transport, code) => closes.inc({ transport, code: String(code) }),
    delivered: (transport) => delivered.inc({ transport }),
    fanoutLatency: (seconds) => latency.observe(Math.max(0, seconds)),
    resync: () => resyncs.inc(),
    degraded: (on) => degraded.set(on ? 1 : 0),
    localOnly: () => localOnly.inc(),
    chatOpened: () => chatsOpened.inc(),
    chatClosed: () => chatsClosed.inc(),
  }
}
