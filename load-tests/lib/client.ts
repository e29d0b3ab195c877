import type { CustomMetricName } from './metrics.ts'
import type { RouteName } from './routes.ts'

/**
 * What a journey needs from the tool that runs it, and nothing more: k6 implements it
 * with `http.asyncRequest`, `k6/websockets`, `check` and `k6/metrics`
 * (load-tests/k6/client.ts), the Node harness with fetch, Node's WebSocket and its own
 * metric store (load-tests/harness/node-client.ts). The journeys (lib/) are written once
 * against it, so both run the same steps; lib/ itself imports neither k6 nor Node.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface Request {
  method: Method
  /** Path and query, relative to BASE_URL: `/v1/orgs?limit=100`. */
  path: string
  /** The `route` tag of every sample of this request. */
  route: RouteName
  /** Sent as JSON (with its content type); none when undefined. */
  body?: unknown
  headers?: Record<string, string>
  /**
   * The statuses that are not failures (k6's `expectedStatuses`): anything else counts
   * in `http_req_failed`, as does no answer at all.
   */
  expect: readonly number[]
}

export interface Response {
  /** 0 when there was no answer (refused, reset, timed out). */
  status: number
  /** Header names in lower case. */
  headers: Readonly<Record<string, string>>
  /** The parsed body, or undefined when it is empty or not JSON. */
  json: unknown
}

/** A WebSocket as both tools have it, reduced to callbacks on text frames. */
export interface RawSocket {
  send(text: string): void
  close(code?: number): void
}

export interface SocketHandlers {
  open(): void
  message(text: string): void
  /** The close code when the tool reports it. */
  close(code?: number): void
  error(message: string): void
}

export type MetricTags = Readonly<Record<string, string>>

export interface Client {
  request(request: Request): Promise<Response>
  /** Opens `ws(s)://<BASE_URL host><path>`; the handlers are called as events arrive. */
  socket(path: string, route: RouteName, handlers: SocketHandlers): RawSocket
  /** Resolves after `ms`; in the harness it rejects once the VU is interrupted. */
  sleep(ms: number): Promise<void>
  /** Calls `fn` after `ms` unless cancelled first. */
  timer(ms: number, fn: () => void): () => void
  /** A monotonic clock in milliseconds (for durations only). */
  now(): number
  /** Records a named check (the `checks` rate); returns `ok`. */
  check(name: string, ok: boolean, tags?: MetricTags): boolean
  /** Adds a sample to one of lib/metrics.ts's custom metrics. */
  add(metric: CustomMetricName, value: number, tags?: MetricTags): void
}
