import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { MessageBus, Subscription } from '#shared/bus/bus.ts'
import { type MessageTrace, receiveTraced, requestIdOf } from '#shared/bus/traced.ts'
import type { Logger } from '#shared/log.ts'
import type { ConfigCache } from './cache.ts'
import type { ConfigService } from './schemas.ts'

/**
 * Hot reload (DESIGN.md §4, ADR-0008): keeps a config cache on the newest committed
 * versions. A committed PUT publishes a hint, `{service, version, committed_at}`, on
 * `config:<service>`; a hint only says "there is something newer": the cache reads that
 * row from SQL and offers it to its gate (never backwards, never invalid data, last
 * known good kept). What hints cannot be trusted to deliver, reconciling does: every
 * service is re-read from SQL on every (re)subscription — whatever was published while
 * this replica was not listening — and on a jittered period, for what pub/sub lost
 * while it was. With Redis down the replica keeps serving what it holds and keeps
 * reconciling.
 */

export interface ConfigHint {
  service: string
  version: number
  /** When the write committed, in ms since the epoch (the writer's clock). */
  committed_at: number
  /** The writer's trace context and request id (shared/bus/traced.ts). */
  trace?: MessageTrace
}

export const configChannel = (service: string) => `config:${service}`

export function encodeHint(hint: ConfigHint): string {
  return JSON.stringify(hint)
}

/** A hint, or undefined for anything else on the channel. */
export function parseHint(text: string): ConfigHint | undefined {
  try {
    const hint = JSON.parse(text) as Partial<ConfigHint>
    if (
      typeof hint.service === 'string' &&
      Number.isSafeInteger(hint.version) &&
      (hint.version as number) > 0 &&
      Number.isFinite(hint.committed_at)
    ) {
      return hint as ConfigHint
    }
  } catch {
    // not JSON
  }
  return undefined
}

/** The default period of the reconcile; CONFIG_RECONCILE_SECONDS sets it. */
export const RECONCILE_SECONDS = 300

export interface ReloadOptions {
  bus: MessageBus
  log: Logger
  /** The reconcile's period; each wait is drawn from ±10 % of it. */
  reconcileMs: number
  /** Where the hot-reload metrics go. */
  metrics?: Registry
  now?: () => number
}

export interface Reload {
  /** Reconciles every service now (the runbook's "force a reconcile"); resolves when done. */
  reconcile(reason: string): Promise<void>
  /** Stops listening and reconciling; resolves once a reconcile in progress has ended. */
  stop(): Promise<void>
}

export function keepCurrent<S extends ConfigService>(
  cache: ConfigCache<S>,
  options: ReloadOptions,
): Reload {
  const { bus, log } = options
  const now = options.now ?? Date.now
  const meters = options.metrics ? reloadMetrics(options.metrics, cache, bus) : undefined
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let busDown = false
  let running: Promise<void> = Promise.resolve()

  /** One refresh at a time per service; a newer hint while one runs asks for another. */
  const fetching = new Map<S, { wanted: number; committedAt: number; done: Promise<void> }>()

  /** Resolves when this hint's fetch is done; undefined when one already running takes it. */
  function fetchNewer(service: S, hint: ConfigHint): Promise<void> | undefined {
    const current = fetching.get(service)
    if (current) {
      if (hint.version > current.wanted) {
        current.wanted = hint.version
        current.committedAt = hint.committed_at
      }
      return undefined
    }
    const entry = { wanted: hint.version, committedAt: hint.committed_at, done: Promise.resolve() }
    entry.done = (async () => {
      try {
        for (;;) {
          const wanted = entry.wanted
          const committedAt = entry.committedAt
          await cache.refresh(service)
          const held = cache.versions()[service] ?? 0
          if (held >= wanted) meters?.propagation.observe({ service }, (now() - committedAt) / 1000)
          // The row may fail its schema: then the version is not held, and trying again
          // would read the same row. Only a newer hint that came meanwhile asks again.
          if (entry.wanted === wanted) return
        }
      } catch (error) {
        log.warn(
          { err: error, service, request_id: requestIdOf(hint.trace) },
          'config hint not applied: SQL unreachable; the reconcile will',
        )
      } finally {
        fetching.delete(service)
      }
    })()
    entry.done.catch(() => {}) // settled inside; kept for stop()
    fetching.set(service, entry)
    return entry.done
  }

  /** A hint's handling, inside its consumer span (which lasts until the fetch is done). */
  function onHint(hint: ConfigHint | undefined): Promise<void> | undefined {
    if (!hint || !(cache.services as readonly string[]).includes(hint.service)) {
      meters?.hints.inc({ outcome: 'ignored' })
      return undefined
    }
    const service = hint.service as S
    if (hint.version <= (cache.versions()[service] ?? 0)) {
      meters?.hints.inc({ outcome: 'held' })
      return undefined
    }
    meters?.hints.inc({ outcome: 'newer' })
    return fetchNewer(service, hint)
  }

  const subscription: Subscription = bus.subscribe(cache.services.map(configChannel), {
    message(_channel, text) {
      const hint = parseHint(text)
      void receiveTraced('config', hint?.trace, () => onHint(hint))
    },
    subscribed() {
      if (busDown) log.info('config hints flowing again; reconciling what they missed')
      busDown = false
      void reconcile('subscribed')
    },
    lost(error) {
      if (!busDown) {
        log.warn(
          { err: error, reconcile_seconds: options.reconcileMs / 1000 },
          'config hints unavailable (the bus is down); serving what is held, reconciling from SQL',
        )
      }
      busDown = true
    },
  })

  async function reconcileOnce(reason: string): Promise<void> {
    try {
      const changed = await cache.refresh()
      meters?.reconciles.inc({ outcome: 'ok' })
      if (changed.length > 0)
        log.info({ reason, changed }, 'config reconciled: newer versions applied')
    } catch (error) {
      meters?.reconciles.inc({ outcome: 'failed' })
      log.warn(
        { err: error, reason },
        'config reconcile failed: SQL unreachable; keeping what is held',
      )
    }
  }

  /** One reconcile at a time: a second one asked for while one runs follows it. */
  function reconcile(reason: string): Promise<void> {
    running = running.then(() => (stopped ? undefined : reconcileOnce(reason)))
    return running
  }

  function schedule(): void {
    if (stopped) return
    const wait = options.reconcileMs * (0.9 + Math.random() * 0.2)
    timer = setTimeout(() => {
      void reconcile('period').finally(schedule)
    }, wait)
    timer.unref()
  }
  schedule()

  return {
    reconcile,
    async stop() {
      stopped = true
      clearTimeout(timer)
      await subscription.close()
      await running
      await Promise.all([...fetching.values()].map((entry) => entry.done))
    },
  }
}

/** What hot reload counts, beside config_version and config_staleness_seconds. */
function reloadMetrics<S extends ConfigService>(
  registry: Registry,
  cache: ConfigCache<S>,
  bus: MessageBus,
) {
  new Gauge({
    name: 'config_bus_connected',
    help: 'Whether config hints can reach this instance (1) or only the reconcile does (0).',
    registers: [registry],
    collect() {
      this.set(bus.connected ? 1 : 0)
    },
  })
  new Counter<'service'>({
    name: 'config_refused_total',
    help: 'Config versions this instance refused because they fail their schema, by service.',
    labelNames: ['service'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [service, n] of cache.refused) this.inc({ service }, n)
    },
  })
  return {
    hints: new Counter<'outcome'>({
      name: 'config_hints_total',
      help: 'Config hints received: newer (fetched), held (not newer), ignored (not ours or not a hint).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    reconciles: new Counter<'outcome'>({
      name: 'config_reconciles_total',
      help: 'Reconciles of every service from SQL, by outcome (ok, failed).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    propagation: new Histogram<'service'>({
      name: 'config_propagation_seconds',
      help: "From a config write's commit to its version applied here, for versions a hint brought.",
      labelNames: ['service'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300],
      registers: [registry],
    }),
  }
}
