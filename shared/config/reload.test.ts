import type { Sql } from 'postgres'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import type { BusHandlers, MessageBus } from '#shared/bus/bus.ts'
import { createInProcessBus } from '#shared/bus/in-process-bus.ts'
import { connect } from '#shared/db/client.ts'
import { createLogger } from '#shared/log.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { freePort } from '#test/harness/local-servers.ts'
import { ConfigCache } from './cache.ts'
import { configChannel, encodeHint, keepCurrent, parseHint, type Reload } from './reload.ts'

/** Hot reload against a real database, with the in-process bus or a bus under test control. */

const db = useTestDatabase()
const lines: Record<string, unknown>[] = []
const log = createLogger('reload-test', {
  level: 'debug',
  destination: { write: (line: string) => lines.push(JSON.parse(line)) },
})
const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
  lines.length = 0
})

/** A committed write, as the config function makes it, without its hint. */
async function commit(service: string, data: unknown): Promise<number> {
  const [row] = await db.admin<{ version: number }[]>`
    update service_configs set version = version + 1, data = ${db.admin.json(data as never)},
           updated_by = 'test' where service = ${service} returning version`
  await db.admin`insert into config_history (service, version, data, updated_by)
                 values (${service}, ${row?.version as number}, ${db.admin.json(data as never)}, 'test')`
  return row?.version as number
}

/** A bus whose subscriptions the test drives: deliver, drop, re-subscribe. */
function scriptedBus(): MessageBus & {
  deliver(message: string): void
  drop(): void
  resubscribe(): void
} {
  const handlers: BusHandlers[] = []
  let connected = true
  return {
    get connected() {
      return connected
    },
    publish: async () => {},
    subscribe(_channels, h) {
      handlers.push(h)
      queueMicrotask(() => h.subscribed?.())
      return { close: async () => {} }
    },
    close: async () => {},
    deliver: (message) => {
      for (const h of handlers) h.message('config:projects', message)
    },
    drop: () => {
      connected = false
      for (const h of handlers) h.lost?.(new Error('connection lost'))
    },
    resubscribe: () => {
      connected = true
      for (const h of handlers) h.subscribed?.()
    },
  }
}

async function cacheOn(sql: Sql = db.app) {
  const cache = new ConfigCache(sql, ['projects', 'features'], log)
  await cache.load()
  return cache
}

function start(
  cache: ConfigCache<'projects' | 'features'>,
  bus: MessageBus,
  reconcileMs = 3_600_000,
  metrics?: Registry,
): Reload {
  const reload = keepCurrent(cache, { bus, log, reconcileMs, ...(metrics ? { metrics } : {}) })
  stops.push(() => reload.stop())
  return reload
}

async function until(check: () => boolean, ms = 2_000): Promise<void> {
  for (const started = Date.now(); !check(); ) {
    if (Date.now() - started > ms) throw new Error('not reached')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/**
 * Resolves once the reconcile a (re)subscription starts is done. The bus reports the
 * subscription a microtask after subscribe(): the reconcile asked for here must queue
 * behind that one, not before it, or the first reconcile would still be reading SQL
 * when the test goes on.
 */
async function settled(reload: Reload): Promise<void> {
  await new Promise(setImmediate)
  await reload.reconcile('settled')
}

const held = (cache: ConfigCache<'projects' | 'features'>) => cache.versions().projects

describe('hints', () => {
  it('applies the version a hint names, read from SQL, and records how long it took', async () => {
    const bus = createInProcessBus({ log })
    const cache = await cacheOn()
    const metrics = new Registry()
    start(cache, bus, 3_600_000, metrics)
    const version = await commit('projects', { max_projects_per_org: 5 })
    await bus.publish(
      configChannel('projects'),
      encodeHint({ service: 'projects', version, committed_at: Date.now() }),
    )
    await until(() => held(cache) === version)
    expect(cache.get('projects').max_projects_per_org).toBe(5)
    const text = await metrics.metrics()
    expect(text).toMatch(/config_propagation_seconds_count\{service="projects"\} 1/)
    expect(text).toMatch(/config_hints_total\{outcome="newer"\} 1/)
  })

  it('ignores a hint for a version already held, and anything that is not a hint', async () => {
    const bus = scriptedBus()
    const cache = await cacheOn()
    const metrics = new Registry()
    start(cache, bus, 3_600_000, metrics)
    bus.deliver(
      encodeHint({ service: 'projects', version: held(cache) as number, committed_at: Date.now() }),
    )
    bus.deliver('not json')
    bus.deliver(encodeHint({ service: 'other', version: 99, committed_at: Date.now() }))
    const text = await metrics.metrics()
    expect(text).toMatch(/config_hints_total\{outcome="held"\} 1/)
    expect(text).toMatch(/config_hints_total\{outcome="ignored"\} 2/)
    expect(parseHint('{"service":"x","version":0,"committed_at":1}')).toBeUndefined()
  })

  it('never goes back: a late hint for an older version changes nothing', async () => {
    const bus = scriptedBus()
    const cache = await cacheOn()
    await settled(start(cache, bus))
    const older = await commit('projects', { max_projects_per_org: 6 })
    const newer = await commit('projects', { max_projects_per_org: 7 })
    bus.deliver(encodeHint({ service: 'projects', version: newer, committed_at: Date.now() }))
    await until(() => held(cache) === newer)
    bus.deliver(encodeHint({ service: 'projects', version: older, committed_at: Date.now() }))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(held(cache)).toBe(newer)
    expect(cache.get('projects').max_projects_per_org).toBe(7)
  })
})

describe('reconciling', () => {
  it('catches up on every (re)subscription with what was committed meanwhile', async () => {
    const bus = scriptedBus()
    const cache = await cacheOn()
    await settled(start(cache, bus))
    bus.drop()
    const version = await commit('projects', { max_projects_per_org: 8 })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(held(cache)).not.toBe(version)
    expect(lines.some((line) => String(line.msg).startsWith('config hints unavailable'))).toBe(true)
    bus.resubscribe()
    await until(() => held(cache) === version)
  })

  it('catches, on its period, a version whose hint was lost', async () => {
    const bus = scriptedBus()
    const cache = await cacheOn()
    start(cache, bus, 100)
    const version = await commit('projects', { max_projects_per_org: 9 })
    await until(() => held(cache) === version)
  })

  it('keeps the last good version of data written straight into SQL that fails its schema', async () => {
    const bus = scriptedBus()
    const cache = await cacheOn()
    const metrics = new Registry()
    start(cache, bus, 50, metrics)
    const good = held(cache)
    await db.admin`update service_configs set version = version + 1,
                   data = '{"max_projects_per_org": "SECRET-not-a-number"}' where service = 'projects'`
    await until(() => (cache.refused.get('projects') ?? 0) > 0)
    expect(held(cache)).toBe(good)
    expect(JSON.stringify(lines)).not.toContain('SECRET-not-a-number')
    expect(await metrics.metrics()).toMatch(/config_refused_total\{service="projects"\} [1-9]/)
  })

  it('keeps serving what it holds while SQL is unreachable, and logs it', async () => {
    const unreachable = connect(`postgres://nobody:x@127.0.0.1:${await freePort()}/none`, {
      max: 1,
    })
    const cache = new ConfigCache(unreachable, ['projects'], log)
    // Held from elsewhere: as a replica holds its config when the database goes away.
    cache.apply('projects', 1, { max_projects_per_org: 100 })
    const bus = scriptedBus()
    const reload = keepCurrent(cache, { bus, log, reconcileMs: 3_600_000 })
    try {
      await reload.reconcile('test')
      bus.deliver(encodeHint({ service: 'projects', version: 5, committed_at: Date.now() }))
      await until(() =>
        lines.some((line) => String(line.msg).startsWith('config hint not applied')),
      )
      expect(cache.get('projects').max_projects_per_org).toBe(100)
      expect(lines.some((line) => String(line.msg).startsWith('config reconcile failed'))).toBe(
        true,
      )
    } finally {
      await reload.stop()
      await unreachable.end({ timeout: 1 })
    }
  })
})
