import type { Logger } from '#shared/log.ts'

/**
 * Tracing (DESIGN.md §6): OpenTelemetry spans per request, per database transaction and per
 * bus message, with W3C `traceparent` carried through the gateway, the config hints and
 * the chat fan-out. Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
 *
 * Off means no work at all rather than OpenTelemetry's no-op API: the SDK is not even
 * loaded (otel.ts is imported only when tracing starts), and every call site asks
 * `activeTracer()` first and takes its untraced path when there is none. The cost off is
 * one module-variable read per request, transaction and message (`npm run bench:api`
 * measures it with tracing off and on).
 *
 * The tracer is process-wide, like OpenTelemetry's own global provider: `npm start` runs
 * every function in one process and exports them as one service.
 */

/** W3C trace context, as it travels in HTTP headers and inside bus messages. */
export interface TraceCarrier {
  traceparent?: string
  tracestate?: string
}

export type SpanKind = 'server' | 'client' | 'producer' | 'consumer' | 'internal'
export type AttributeValue = string | number | boolean
export type Attributes = Record<string, AttributeValue | undefined>

export interface SpanOptions {
  kind?: SpanKind
  attributes?: Attributes
  /**
   * The remote parent (a request's headers, a bus message's carrier), or `root` for a new
   * trace. Without it the span is a child of the current span, if any.
   */
  parent?: TraceCarrier | 'root'
}

/** What code inside a span may do to it. */
export interface ActiveSpan {
  setAttribute(name: string, value: AttributeValue): void
  updateName(name: string): void
  /** Marks the span failed without an exception (a 5xx answer). */
  fail(message?: string): void
}

export interface Tracer {
  /**
   * Runs `fn` inside a new span, current for everything `fn` calls. The span ends when
   * `fn` returns, or when the promise it returns settles; a throw or rejection records
   * the error on the span and passes through unchanged.
   */
  span<T>(name: string, options: SpanOptions, fn: (span: ActiveSpan) => T): T
  /** The current span's context, to send along (undefined outside any span). */
  carrier(): TraceCarrier | undefined
  /** The current trace's id, for log lines (undefined outside any span). */
  traceId(): string | undefined
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>
}

let active: Tracer | undefined

/** The process's tracer, or undefined when tracing is off (the common case: check it). */
export function activeTracer(): Tracer | undefined {
  return active
}

export interface TracingOptions {
  /** `service.name` of every span (a function's name; `tenantry` for `npm start`). */
  serviceName: string
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`, validated; tracing is off when empty or unset. */
  endpoint: string | undefined
  log: Logger
  /** The process environment, for the exporter's and sampler's standard OTEL_* variables. */
  env?: NodeJS.ProcessEnv
}

/**
 * Starts tracing when an endpoint is configured; otherwise does nothing and loads nothing.
 * The exporter reads the standard variables itself (OTEL_EXPORTER_OTLP_HEADERS,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, …); see otel.ts for the sampler and batching ones.
 */
export async function startTracing(options: TracingOptions): Promise<Tracer | undefined> {
  if (!options.endpoint) return undefined
  const { createOtelTracer } = await import('./otel.ts')
  active = createOtelTracer({
    serviceName: options.serviceName,
    endpoint: options.endpoint,
    log: options.log,
    env: options.env ?? process.env,
  })
  options.log.info({ endpoint: options.endpoint }, 'tracing on (OTLP over HTTP)')
  return active
}

/** Stops the process's tracer, exporting what it holds. */
export async function stopTracing(): Promise<void> {
  const tracer = active
  active = undefined
  await tracer?.shutdown()
}

/** Reads a carrier from a bus message's field, keeping only well-formed values. */
export function carrierOf(value: unknown): TraceCarrier | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { traceparent, tracestate } = value as Record<string, unknown>
  if (typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent)) return undefined
  return typeof tracestate === 'string' && tracestate.length <= 512
    ? { traceparent, tracestate }
    : { traceparent }
}

/** W3C Trace Context, version 00: version-traceid-spanid-flags, lower-case hex. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/
