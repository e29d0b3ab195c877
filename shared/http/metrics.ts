import type { Hono, MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { Sql } from 'postgres'
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type Metric,
  Registry,
} from 'prom-client'
import type { AppEnv } from './app-env.ts'

/**
 * Prometheus metrics. The main module creates one Registry per process and hands it to
 * what records into it, so nothing touches prom-client's global default registry (which
 * would double-register in tests and in `npm start`, where five apps share a process).
 * Metric constructors here are get-or-create: registering the same metrics twice on one
 * registry reuses them instead of throwing.
 */

export { Registry }

export function createMetricsRegistry(options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry()
  if (options.defaultMetrics !== false) collectProcessMetrics(registry)
  return registry
}

/**
 * Node's own metrics: CPU, memory, heap, event loop lag, GC, handles. A function adds
 * them while its database connection opens (setting them up takes a few ms).
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry })
}

/** `GET /metrics`: the registry in Prometheus text format. No auth, like the probes. */
export function registerMetrics(app: Hono<AppEnv>, registry: Registry): void {
  app.get('/metrics', async (c) => {
    const body = await registry.metrics()
    return c.body(body, 200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' })
  })
}

// ---- HTTP requests ------------------------------------------------------------------

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
type HttpLabel = 'method' | 'route' | 'status'

/**
 * Counts requests and times them, labelled by method, route pattern and status. The
 * route is the matched pattern (`/v1/projects/:projectId`), never the URL: ids in paths
 * would make one series per resource and put tenant ids into the metrics. Unknown
 * routes get the catch-all middleware's pattern, and unknown methods `OTHER`, so a
 * scanner cannot grow the series either.
 *
 * Install it first in the app, so that requests answered early (405, 413) are counted.
 */
export function httpMetrics(registry: Registry): MiddlewareHandler<AppEnv> {
  const labelNames = ['method', 'route', 'status'] as const
  const requests = getOrCreate(
    registry,
    'http_requests_total',
    () =>
      new Counter<HttpLabel>({
        name: 'http_requests_total',
        help: 'HTTP requests answered, by method, route pattern and status.',
        labelNames,
        registers: [registry],
      }),
  )
  const duration = getOrCreate(
    registry,
    'http_request_duration_seconds',
    () =>
      new Histogram<HttpLabel>({
        name: 'http_request_duration_seconds',
        help: 'Time until the response was ready, by method, route pattern and status.',
        labelNames,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
  )
  return async (c, next) => {
    const started = performance.now()
    let threw = false
    try {
      await next()
    } catch (error) {
      // Hono's onError normally answers before this; a non-Error throw still lands here.
      threw = true
      throw error
    } finally {
      const labels = {
        method: KNOWN_METHODS.has(c.req.method) ? c.req.method : 'OTHER',
        route: routePath(c) || 'unknown',
        status: threw ? '500' : String(c.res.status),
      }
      requests.inc(labels)
      duration.observe(labels, (performance.now() - started) / 1000)
    }
  }
}

// ---- PostgreSQL pool ----------------------------------------------------------------

type PoolLabel = 'pool'

/**
 * postgres.js has no statistics API, so this measures what can be measured honestly from
 * outside: the configured size, and `reserve()`, through which every withUser() and
 * asSystem() transaction takes its connection. Returns the same pool with `reserve`
 * wrapped; hand the returned pool to the apps. What it does not see: plain `sql\`…\``
 * queries outside a transaction (they borrow a connection inside postgres.js), and how
 * many connections are open rather than configured.
 *
 * - `db_pool_max_connections`: the configured size.
 * - `db_pool_reserved_connections`: connections held by a transaction right now.
 * - `db_pool_reserve_waiting`: transactions waiting for a connection (pool saturation).
 * - `db_pool_reserve_wait_seconds`: how long they waited.
 */
export function instrumentPool(sql: Sql, registry: Registry, pool = 'main'): Sql {
  const labelNames = ['pool'] as const
  const max = sql.options.max
  getOrCreate(
    registry,
    'db_pool_max_connections',
    () =>
      new Gauge<PoolLabel>({
        name: 'db_pool_max_connections',
        help: 'Configured size of the PostgreSQL pool.',
        labelNames,
        registers: [registry],
      }),
  ).set({ pool }, max)
  const reserved = getOrCreate(
    registry,
    'db_pool_reserved_connections',
    () =>
      new Gauge<PoolLabel>({
        name: 'db_pool_reserved_connections',
        help: 'PostgreSQL connections held by a transaction (withUser, asSystem) now.',
        labelNames,
        registers: [registry],
      }),
  )
  const waiting = getOrCreate(
    registry,
    'db_pool_reserve_waiting',
    () =>
      new Gauge<PoolLabel>({
        name: 'db_pool_reserve_waiting',
        help: 'Transactions waiting for a PostgreSQL connection now.',
        labelNames,
        registers: [registry],
      }),
  )
  const waited = getOrCreate(
    registry,
    'db_pool_reserve_wait_seconds',
    () =>
      new Histogram<PoolLabel>({
        name: 'db_pool_reserve_wait_seconds',
        help: 'Time a transaction waited for a PostgreSQL connection.',
        labelNames,
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
  )
  // Start every series at 0, so a dashboard sees the pool before its first transaction.
  reserved.set({ pool }, 0)
  waiting.set({ pool }, 0)

  const reserve: Sql['reserve'] = async () => {
    const started = performance.now()
    waiting.inc({ pool })
    let connection: Awaited<ReturnType<Sql['reserve']>>
    try {
      connection = await sql.reserve()
    } finally {
      waiting.dec({ pool })
    }
    waited.observe({ pool }, (performance.now() - started) / 1000)
    reserved.inc({ pool })
    const release = connection.release
    let released = false
    connection.release = () => {
      // Released twice must not count twice, or the gauge drifts below zero.
      if (!released) reserved.dec({ pool })
      released = true
      release()
    }
    return connection
  }
  // A proxy rather than assigning sql.reserve, so the caller's pool object is untouched
  // and every other property (tagged-template calls included) passes straight through.
  return new Proxy(sql, {
    get: (target, property) => (property === 'reserve' ? reserve : Reflect.get(target, property)),
  })
}

// ---- Config -------------------------------------------------------------------------

/** What the config cache holds for one service. */
export interface HeldConfig {
  version: number
  /** When this instance last confirmed the version against SQL (ms since the epoch). */
  verifiedAt: number
}

/**
 * `config_version{service}` and `config_staleness_seconds{service}` (seconds since the
 * held version was last confirmed against SQL), read from `held` at every scrape, so
 * the config cache only needs to keep its own state and the metrics never lag it.
 */
export function trackConfigVersions(
  registry: Registry,
  held: () => Readonly<Record<string, HeldConfig>>,
  now: () => number = Date.now,
): void {
  const labelNames = ['service'] as const
  new Gauge<'service'>({
    name: 'config_version',
    help: 'Config version this instance holds, by service.',
    labelNames,
    registers: [registry],
    collect() {
      // Reset first: a service that is no longer held must not keep its last value.
      this.reset()
      for (const [service, config] of Object.entries(held())) {
        this.set({ service }, config.version)
      }
    },
  })
  new Gauge<'service'>({
    name: 'config_staleness_seconds',
    help: 'Seconds since this instance last confirmed its config version against SQL.',
    labelNames,
    registers: [registry],
    collect() {
      this.reset()
      const at = now()
      for (const [service, config] of Object.entries(held())) {
        this.set({ service }, Math.max(0, (at - config.verifiedAt) / 1000))
      }
    },
  })
}

/** The registry's metric of that name, or a new one: a second user of the registry shares it. */
export function getOrCreate<M extends Metric>(
  registry: Registry,
  name: string,
  create: () => M,
): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create()
}

/**
 * A function's metrics object, made once per registry and shared by every later call with
 * it (a route calls this per request); `none`, whose calls do nothing, without a registry.
 */
export function perRegistry<T extends object>(
  create: (registry: Registry) => T,
  none: T,
): (registry: Registry | undefined) => T {
  const made = new WeakMap<Registry, T>()
  return (registry) => {
    if (!registry) return none
    let metrics = made.get(registry)
    if (!metrics) {
      metrics = create(registry)
      made.set(registry, metrics)
    }
    return metrics
  }
}
