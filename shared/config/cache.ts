import type { Sql } from '#shared/db/client.ts'
import type { Logger } from '#shared/log.ts'
import { type ConfigIssue, type ConfigOf, type ConfigService, validateConfig } from './schemas.ts'

/**
 * The configs one function needs, read from service_configs and held typed in memory.
 * Built once per process; handlers call get() on every request rather than keeping a
 * value, so a newer version reaches them without any change on their side.
 *
 * Hot reload (reload.ts) plugs in here: a pub/sub hint calls refresh(service), the
 * reconcile calls refresh(). Every value enters through one gate, #offer(),
 * which holds the two rules of DESIGN.md §4: a version never goes backwards, and data
 * failing its schema is never applied (the last known good stays).
 */

interface Held {
  version: number
  data: unknown
  /** When this version was applied or last confirmed by a read from SQL (ms). */
  verifiedAt: number
}

interface Row {
  service: string
  version: number
  data: unknown
}

type Offer =
  | { outcome: 'applied' }
  | { outcome: 'ignored' } // not newer than what is held, or not one of our services
  | { outcome: 'invalid'; issues: ConfigIssue[] }

/** load() could not hold every service; `services` lists each one that failed. */
export class ConfigLoadError extends Error {
  readonly services: string[]

  constructor(problems: { service: string; problem: string }[]) {
    super(`config not loaded: ${problems.map((p) => p.problem).join('; ')}`)
    this.name = 'ConfigLoadError'
    this.services = problems.map((p) => p.service)
  }
}

export class ConfigCache<S extends ConfigService = ConfigService> {
  readonly services: readonly S[]
  readonly #sql: Sql
  readonly #log: Logger
  readonly #held = new Map<S, Held>()
  /** Versions refused because they fail their schema, by service (for the metrics). */
  readonly refused = new Map<S, number>()

  constructor(sql: Sql, services: readonly S[], log: Logger) {
    this.#sql = sql
    this.services = Object.freeze([...new Set(services)])
    this.#log = log
  }

  /**
   * Reads every service in one query and holds each. Throws a ConfigLoadError naming
   * every service whose row is missing or invalid: a function must not report ready
   * without its config. The error carries issue locations and our messages, never values.
   */
  async load(): Promise<void> {
    const rows = await this.#read(this.services)
    const problems: { service: string; problem: string }[] = []
    for (const service of this.services) {
      const row = rows.get(service)
      if (!row) {
        problems.push({ service, problem: `"${service}" has no row in service_configs` })
        continue
      }
      const offer = this.#offer(service, row.version, row.data)
      this.#confirm(service, row.version)
      if (offer.outcome === 'invalid') {
        const issues = offer.issues.map((i) => `${i.location} ${i.message}`).join(', ')
        problems.push({
          service,
          problem: `"${service}" version ${row.version} fails its schema (${issues})`,
        })
      }
    }
    if (problems.length > 0) throw new ConfigLoadError(problems)
  }

  /** True once every service holds a value. */
  get loaded(): boolean {
    return this.services.every((service) => this.#held.has(service))
  }

  /**
   * The current value, typed and deeply frozen (it is shared by every request; a handler
   * that wants to change it must copy it). Throws if the service was never loaded.
   */
  get<T extends S>(service: T): ConfigOf<T> {
    const held = this.#held.get(service)
    if (!held) throw new Error(`config "${service}" is not loaded: load() must succeed first`)
    return held.data as ConfigOf<T>
  }

  /** Version and last confirmation of each held service, for the config metrics. */
  held(): Record<string, { version: number; verifiedAt: number }> {
    const out: Record<string, { version: number; verifiedAt: number }> = {}
    for (const [service, { version, verifiedAt }] of this.#held) {
      out[service] = { version, verifiedAt }
    }
    return out
  }

  /** `{ service: version }` of what is held, for /readyz. */
  versions(): Partial<Record<S, number>> {
    const out: Partial<Record<S, number>> = {}
    for (const [service, held] of this.#held) out[service] = held.version
    return out
  }

  /**
   * Offers a version of a service's config. True when it was applied; false when it is
   * not newer than what is held, fails its schema (logged, without the data), or
   * belongs to a service this cache does not hold.
   */
  apply(service: S, version: number, data: unknown): boolean {
    return this.#offer(service, version, data).outcome === 'applied'
  }

  /**
   * Re-reads one service (or all) from SQL and offers each row through apply()'s gate.
   * Resolves to the services whose value changed. A missing row is logged and the last
   * known good kept; a database error rejects, leaving every held value untouched.
   */
  async refresh(service?: S): Promise<S[]> {
    const services = service === undefined ? this.services : this.#ours(service) ? [service] : []
    const rows = await this.#read(services)
    const changed: S[] = []
    for (const name of services) {
      const row = rows.get(name)
      if (!row) {
        this.#log.warn({ service: name }, 'config row missing; keeping the last known good')
      } else {
        if (this.#offer(name, row.version, row.data).outcome === 'applied') changed.push(name)
        this.#confirm(name, row.version)
      }
    }
    return changed
  }

  /** The one gate: monotonic versions, schema-valid data, frozen values. */
  #offer(service: S, version: number, data: unknown): Offer {
    if (!this.#ours(service)) return { outcome: 'ignored' }
    const held = this.#held.get(service)
    if (!Number.isSafeInteger(version) || version < 1) {
      const issues = [{ location: 'version', message: 'must be a positive integer' }]
      this.#log.warn({ service, issues }, 'config refused; keeping the last known good')
      return { outcome: 'invalid', issues }
    }
    if (held && version <= held.version) return { outcome: 'ignored' }
    const result = validateConfig(service, data)
    if (!result.success) {
      this.refused.set(service, (this.refused.get(service) ?? 0) + 1)
      // Issues carry locations and our own messages only; the data stays out of logs.
      this.#log.warn(
        { service, version, held_version: held?.version, issues: result.issues },
        'config refused: it fails its schema; keeping the last known good',
      )
      return { outcome: 'invalid', issues: result.issues }
    }
    this.#held.set(service, { version, data: deepFreeze(result.output), verifiedAt: Date.now() })
    this.#log.info({ service, version, previous_version: held?.version }, 'config applied')
    return { outcome: 'applied' }
  }

  /** SQL still has the version we hold: it is current as of now. */
  #confirm(service: S, version: number): void {
    const held = this.#held.get(service)
    if (held && held.version === version) held.verifiedAt = Date.now()
  }

  #ours(service: string): service is S {
    return (this.services as readonly string[]).includes(service)
  }

  /**
   * One statement for any number of services; no tenant context (the policy allows
   * reads). It reads every row (one per service, a handful) and keeps the asked ones:
   * without parameters, postgres.js runs it in one round trip even the first time,
   * where a parameterized statement is first described (a second round trip at every
   * cold start).
   */
  async #read(services: readonly S[]): Promise<Map<string, Row>> {
    if (services.length === 0) return new Map()
    const rows = await this.#sql<Row[]>`select service, version, data from service_configs`
    const wanted = new Set<string>(services)
    return new Map(rows.filter((row) => wanted.has(row.service)).map((row) => [row.service, row]))
  }
}

/** Valibot builds fresh objects and arrays for its output, so freezing them is safe. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

/** What handlers need of the cache: reading. Any cache holding at least S will do. */
export type ConfigReader<S extends ConfigService> = Pick<ConfigCache<S>, 'get'>
