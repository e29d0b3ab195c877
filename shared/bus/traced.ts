import { isRequestId } from '#shared/http/request-id.ts'
import {
  type Attributes,
  activeTracer,
  carrierOf,
  type TraceCarrier,
} from '#shared/telemetry/tracing.ts'
import type { MessageBus } from './bus.ts'

/**
 * Spans per bus message, and what a message carries so that its consumers join the
 * producer's trace: the W3C trace context (when tracing is on) and the request id of the
 * request that caused it (always, so a consumer's log lines name it). Messages are the
 * callers' own JSON (config hints, chat replies), so the carrier is one field of theirs,
 * `trace`, rather than an envelope every subscriber would have to unwrap.
 */

export interface MessageTrace extends TraceCarrier {
  request_id?: string
}

/** Channel kinds, low-cardinality (a channel's name holds a chat id or a service). */
export type ChannelKind = 'config' | 'chat'

const attributes = (kind: ChannelKind, operation: 'send' | 'process'): Attributes => ({
  'messaging.system': 'tenantry.bus',
  'messaging.destination.name': kind,
  'messaging.operation.type': operation,
})

/**
 * Publishes one message inside a producer span. `build` makes the message from the trace
 * to embed: the producer span's context and the request id.
 */
export function publishTraced(
  bus: MessageBus,
  channel: string,
  kind: ChannelKind,
  requestId: string | undefined,
  build: (trace: MessageTrace | undefined) => string,
): Promise<void> {
  const tracer = activeTracer()
  if (!tracer) {
    return bus.publish(
      channel,
      build(requestId === undefined ? undefined : { request_id: requestId }),
    )
  }
  return tracer.span(
    `publish ${kind}`,
    {
      kind: 'producer',
      attributes: { ...attributes(kind, 'send'), 'tenantry.request_id': requestId },
    },
    () => bus.publish(channel, build({ ...tracer.carrier(), request_id: requestId })),
  )
}

/**
 * Runs a message's handling inside a consumer span, a child of its producer's, or the root
 * of a trace of its own when the message carries none: never a child of whatever context
 * the subscriber connection happened to be opened in.
 */
export function receiveTraced<T>(kind: ChannelKind, trace: unknown, handle: () => T): T {
  const tracer = activeTracer()
  if (!tracer) return handle()
  return tracer.span(
    `process ${kind}`,
    {
      kind: 'consumer',
      parent: carrierOf(trace) ?? 'root',
      attributes: { ...attributes(kind, 'process'), 'tenantry.request_id': requestIdOf(trace) },
    },
    handle,
  )
}

/** The request id a message carries, if it is one (API.md's request-id shape). */
export function requestIdOf(trace: unknown): string | undefined {
  if (typeof trace !== 'object' || trace === null) return undefined
  const id = (trace as Record<string, unknown>).request_id
  return typeof id === 'string' && isRequestId(id) ? id : undefined
}
