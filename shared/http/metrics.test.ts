import { randomUUID } from 'node:crypto'
import { register as globalRegistry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { withUser } from '#shared/db/tenant.ts'
import { createLogger } from '#shared/log.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { ApiError } from './errors.ts'
import {
  createMetricsRegistry,
  type HeldConfig,
  httpMetrics,
  instrumentPool,
  type Registry,
  registerMetrics,
  trackConfigVersions,
} from './metrics.ts'
import { createApp } from './platform.ts'

const log = createLogger('test', { level: 'silent' })

function testApp(registry: Registry) {
  const app = createApp({ log })
  app.use(httpMetrics(registry))
  registerMetrics(app, registry)
  app.get('/v1/projects/:projectId', (c) => c.json({ id: c.req.param('projectId') }))
  app.delete('/v1/projects/:projectId', () => {
    throw new ApiError('PROJECT_NOT_FOUND')
  })
  return app
}

/**
 * The value of one series (`name`, or a histogram's `name_count`/`name_sum`), or
 * undefined when the series does not exist.
 */
async function value(registry: Registry, name: string, labels: Record<string, string>) {
  const metricName = name.replace(/_(count|sum)$/, '')
  const metric = registry.getSingleMetric(name) ?? registry.getSingleMetric(metricName)
  if (!metric) throw new Error(`no metric ${name}`)
  const { values } = await metric.get()
  const match = values.find(
    (v) =>
      // Histogram series carry their own name (`_count`, `_sum`, `_bucket`).
      ((v as { metricName?: string }).metricName ?? metricName) === name &&
      Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l),
  )
  return match?.value
}

async function scrape(app: ReturnType<typeof testApp>): Promise<string> {
  const res = await app.request('/metrics')
  expect(res.status).toBe(200)
  return res.text()
}

describe('HTTP request metrics', () => {
  it('counts and times requests by method, route pattern and status', async () => {
    const registry = createMetricsRegistry()
    const app = testApp(registry)
    const ids = [randomUUID(), randomUUID()]
    for (const id of ids) expect((await app.request(`/v1/projects/${id}`)).status).toBe(200)
    await app.request(`/v1/projects/${ids[0]}`, { method: 'DELETE' })

    const ok = { method: 'GET', route: '/v1/projects/:projectId', status: '200' }
    expect(await value(registry, 'http_requests_total', ok)).toBe(2)
    expect(
      await value(registry, 'http_requests_total', { ...ok, method: 'DELETE', status: '404' }),
    ).toBe(1)
    const count = await value(registry, 'http_request_duration_seconds_count', ok)
    expect(count).toBe(2)
    const sum = (await value(registry, 'http_request_duration_seconds_sum', ok)) ?? -1
    expect(sum).toBeGreaterThan(0)
    expect(sum).toBeLessThan(5)
  })

  it('never puts a raw path, id or unknown method into a label', async () => {
    const registry = createMetricsRegistry()
    const app = testApp(registry)
    const id = randomUUID()
    await app.request(`/v1/projects/${id}`)
    const unknown = await app.request(`/v1/nothing/${id}/here`)
    expect(unknown.status).toBe(404)
    await app.request(`/v1/projects/${id}`, { method: 'PROPFIND' })

    const text = await scrape(app)
    expect(text).toContain('route="/v1/projects/:projectId"')
    expect(text).not.toContain(id)
    expect(text).not.toContain('/v1/nothing')
    expect(text).not.toContain('PROPFIND')
    expect(text).toMatch(/http_requests_total\{method="OTHER",route="[^"]*",status="\d{3}"\} 1/)
    const { values } = await (registry.getSingleMetric('http_requests_total')?.get() ??
      Promise.reject(new Error('no counter')))
    for (const { labels } of values) {
      expect(String(labels.route), JSON.stringify(labels)).toMatch(
        /^(\/\*|\*|\/v1\/projects\/:projectId|\/metrics)$/,
      )
    }
  })

  it('serves the registry in Prometheus text format, Node defaults included', async () => {
    const registry = createMetricsRegistry()
    const app = testApp(registry)
    await app.request('/v1/projects/1')
    const res = await app.request('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(registry.contentType)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    expect(text).toContain('# TYPE http_requests_total counter')
    expect(text).toContain('# TYPE http_request_duration_seconds histogram')
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005"')
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m)
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m)
  })

  it('keeps to its own registry and can be installed twice on one', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false })
    const one = testApp(registry)
    const two = testApp(registry) // a second app in the same process (npm start)
    await one.request('/v1/projects/a')
    await two.request('/v1/projects/b')
    const labels = { method: 'GET', route: '/v1/projects/:projectId', status: '200' }
    expect(await value(registry, 'http_requests_total', labels)).toBe(2)
    expect(registry.getSingleMetric('process_cpu_user_seconds_total')).toBeUndefined()
    expect(globalRegistry.getSingleMetric('http_requests_total')).toBeUndefined()
    expect((await globalRegistry.metrics()).trim()).toBe('')
  })
})

describe('config metrics', () => {
  it('reports the held version and its staleness at every scrape', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false })
    let now = 100_000
    let held: Record<string, HeldConfig> = {
      chat: { version: 4, verifiedAt: 87_500 },
      projects: { version: 2, verifiedAt: 100_000 },
    }
    trackConfigVersions(
      registry,
      () => held,
      () => now,
    )
    const text = await registry.metrics()
    expect(text).toContain('config_version{service="chat"} 4')
    expect(text).toContain('config_version{service="projects"} 2')
    expect(text).toContain('config_staleness_seconds{service="chat"} 12.5')
    expect(text).toContain('config_staleness_seconds{service="projects"} 0')

    now = 101_000
    held = { chat: { version: 5, verifiedAt: 101_000 } }
    const later = await registry.metrics()
    expect(later).toContain('config_version{service="chat"} 5')
    expect(later).toContain('config_staleness_seconds{service="chat"} 0')
    expect(later).not.toContain('service="projects"')
  })
})

describe('PostgreSQL pool metrics', () => {
  const db = useTestDatabase({ appPool: 2 })

  it('reports the configured size and the transactions holding or waiting for a connection', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false })
    const pool = instrumentPool(db.app, registry, 'app')
    const labels = { pool: 'app' }
    expect(await value(registry, 'db_pool_max_connections', labels)).toBe(2)
    expect(await value(registry, 'db_pool_reserved_connections', labels)).toBe(0)

    let open: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const started: string[] = []
    const hold = (name: string) =>
      withUser(pool, randomUUID(), async (tx) => {
        await tx`select 1`
        started.push(name)
        await gate
        return name
      })
    const running = [hold('a'), hold('b'), hold('c')] // a pool of 2: one must wait
    try {
      await expect.poll(() => started.length).toBe(2)
      expect(await value(registry, 'db_pool_reserved_connections', labels)).toBe(2)
      expect(await value(registry, 'db_pool_reserve_waiting', labels)).toBe(1)
    } finally {
      open() // a failed assertion must not leave the pool held for the next test
    }
    expect(await Promise.all(running)).toEqual(['a', 'b', 'c'])
    expect(await value(registry, 'db_pool_reserved_connections', labels)).toBe(0)
    expect(await value(registry, 'db_pool_reserve_waiting', labels)).toBe(0)
    expect(await value(registry, 'db_pool_reserve_wait_seconds_count', labels)).toBe(3)
  })

  it('passes everything else through and leaves the original pool untouched', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false })
    const pool = instrumentPool(db.app, registry)
    const [row] = await pool`select ${'x'}::text as v`
    expect(row?.v).toBe('x')
    expect(pool.options.max).toBe(2)
    expect(db.app.reserve).not.toBe(pool.reserve)
    await withUser(db.app, randomUUID(), (tx) => tx`select 1`)
    const counted = await value(registry, 'db_pool_reserve_wait_seconds_count', { pool: 'main' })
    expect(counted ?? 0).toBe(0)
    expect(await value(registry, 'db_pool_reserved_connections', { pool: 'main' })).toBe(0)
  })

  it('counts a connection released twice only once', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false })
    const pool = instrumentPool(db.app, registry)
    const connection = await pool.reserve()
    expect(await value(registry, 'db_pool_reserved_connections', { pool: 'main' })).toBe(1)
    connection.release()
    connection.release()
    expect(await value(registry, 'db_pool_reserved_connections', { pool: 'main' })).toBe(0)
  })
})
