import { jobLabel, SCRAPE_JOBS, type ScrapeJobName } from './scrape.ts'

/**
 * Selectors the rules and dashboards share, so that "an API request" or "a streaming
 * route" means the same series everywhere.
 */

/**
 * The `route` label values of API routes: every route object's path (Hono's pattern, as
 * httpMetrics labels it). Probes and /metrics are not API routes: a cold start's /readyz
 * 503s must not spend the error budget. (observability.test.ts checks this against every
 * function's routes.)
 */
export const API_ROUTES = '/v1/.+|/.well-known/jwks.json'

/**
 * Routes whose duration is a stream's life, not a response time: excluded from the
 * latency objectives (platform/slo.ts), still counted for errors.
 */
export const STREAMING_ROUTES: readonly string[] = [
  '/v1/chats/:chatId/events',
  '/v1/chats/:chatId/ws',
]

/** Matchers of API requests. */
export const API = `route=~"${API_ROUTES}"`

/** Matchers of API requests that a latency objective covers. */
export const API_LATENCY = `${API}, route!~"${STREAMING_ROUTES.join('|')}"`

/**
 * A bucket bound as Prometheus 3 stores it: `le` values are normalised to floats on
 * ingestion (docs/migration.md), so prom-client's `le="1"` is queried as `le="1.0"`.
 */
export function bucketBound(seconds: number): string {
  return Number.isInteger(seconds) ? seconds.toFixed(1) : String(seconds)
}

/** `job="monitoring/<name>"`: the series of one scrape job. */
export const job = (name: ScrapeJobName) => `job="${jobLabel(SCRAPE_JOBS[name])}"`

/** A number as the rules print it: no float noise (0.01 × 14.4 is 0.14400000000000002). */
export function num(value: number): string {
  return String(Number(value.toPrecision(6)))
}
