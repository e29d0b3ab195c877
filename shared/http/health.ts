import type { Hono } from 'hono'
import type { AppEnv } from './app-env.ts'
import { ApiError } from './errors.ts'
import { problemResponse } from './platform.ts'

/** Loaded config version per service, as `/readyz` lists it: `{ projects: 3, … }`. */
export type ConfigVersions = Readonly<Record<string, number>>

export type ReadinessState = 'starting' | 'ready' | 'draining'

/**
 * Whether this process should receive traffic. It only moves forward:
 * starting → ready (the main module, once connected and its configs are loaded) →
 * draining (on SIGTERM). Draining is final, so a late `ready()` (a warm-up finishing
 * during shutdown) cannot put a stopping process back into rotation.
 */
export class Readiness {
  #state: ReadinessState = 'starting'
  #configs: () => ConfigVersions

  constructor(options: { configs?: () => ConfigVersions } = {}) {
    this.#configs = options.configs ?? (() => ({}))
  }

  get state(): ReadinessState {
    return this.#state
  }

  /** starting → ready; ignored once draining. */
  ready(): void {
    if (this.#state === 'starting') this.#state = 'ready'
  }

  drain(): void {
    this.#state = 'draining'
  }

  /**
   * The config cache is usually built after the readiness object (it is loaded while
   * the process is already `starting`), so it plugs its versions in here.
   */
  provideConfigs(configs: () => ConfigVersions): void {
    this.#configs = configs
  }

  configs(): ConfigVersions {
    return this.#configs()
  }
}

/** Seconds a client (or probe) should wait before asking again. */
const RETRY_AFTER_SECONDS = '1'

const NOT_READY_DETAIL: Record<Exclude<ReadinessState, 'ready'>, string> = {
  starting: 'The service is starting.',
  draining: 'The service is shutting down.',
}

/**
 * `GET /healthz` (liveness: 200 while the process can answer at all) and `GET /readyz`
 * (200 with the loaded config versions when ready, else 503 UNAVAILABLE). No auth:
 * probes carry no token. Never cached, since the answer changes over the process's life.
 */
export function registerHealth(app: Hono<AppEnv>, readiness: Readiness): void {
  app.get('/healthz', (c) => {
    c.header('Cache-Control', 'no-store')
    return c.json({ status: 'ok' })
  })

  app.get('/readyz', (c) => {
    const state = readiness.state
    if (state !== 'ready') {
      const error = new ApiError('UNAVAILABLE', {
        detail: NOT_READY_DETAIL[state],
        headers: { 'Retry-After': RETRY_AFTER_SECONDS, 'Cache-Control': 'no-store' },
      })
      return problemResponse(c, error)
    }
    c.header('Cache-Control', 'no-store')
    return c.json({ status: 'ready', configs: readiness.configs() })
  })
}
