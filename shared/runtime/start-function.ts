import { randomBytes } from 'node:crypto'
import type { Hono } from 'hono'
import type { Sql } from 'postgres'
import type { Registry } from 'prom-client'
import * as v from 'valibot'
import type { KeySet } from '#shared/auth/keys.ts'
import { type AccessTokenVerifier, createVerifier } from '#shared/auth/verifier.ts'
import { ConfigCache } from '#shared/config/cache.ts'
import type { ConfigService } from '#shared/config/schemas.ts'
import { connect } from '#shared/db/client.ts'
import { loadEnv } from '#shared/env.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { Readiness, registerHealth } from '#shared/http/health.ts'
import {
  collectProcessMetrics,
  createMetricsRegistry,
  instrumentPool,
  registerMetrics,
  trackConfigVersions,
} from '#shared/http/metrics.ts'
import { serve } from '#shared/http/serve.ts'
import { warmHttpServer } from '#shared/http/warm-up.ts'
import { createLogger, LOG_LEVELS, type Logger } from '#shared/log.ts'
import { InProcessRateLimiter, type RateLimiter } from '#shared/ratelimit/limiter.ts'
import { FallbackRateLimiter, RedisRateLimiter } from '#shared/ratelimit/redis-limiter.ts'
import { installLastResort } from './last-resort.ts'

/**
 * The process side every function shares (DESIGN.md §1 "main module"): validate the
 * environment once, connect, load the config before reporting ready, serve on $PORT,
 * drain on SIGTERM. A function's main module is one call to this with its app factory.
 */

/** How long a start waits for its configs before it listens anyway (and answers 503). */
const LISTEN_GRACE_MS = 250

const url = (protocols: RegExp, what: string) =>
  v.pipe(v.string(`required, ${what}`), v.regex(protocols, `must be ${what}`))

/** What every function reads. */
const COMMON_ENV = {
  PORT: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'must be a port number'), v.transform(Number)),
    '8080',
  ),
  DATABASE_URL: url(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// URL for the app role'),
  REDIS_URL: v.optional(url(/^rediss?:\/\/\S+$/, 'a redis:// URL')),
  AUTH_ISSUER: v.pipe(v.string('required, the token issuer'), v.minLength(1, 'required')),
  AUTH_AUDIENCE: v.pipe(v.string('required, the token audience'), v.minLength(1, 'required')),
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`), 'info'),
}

/** Functions that verify tokens with the auth function's published keys (all but auth). */
const REMOTE_KEYS_ENV = {
  AUTH_JWKS_URL: v.pipe(
    v.string('required, the URL of the auth function’s /.well-known/jwks.json'),
    v.url('must be a URL'),
  ),
}

/** Functions that sign list cursors (on by default). */
const CURSOR_ENV = {
  CURSOR_SECRET: v.pipe(
    v.string('required, at least 32 characters shared by every replica'),
    v.minLength(32, 'must be at least 32 characters'),
  ),
}

type CommonEnv = v.InferOutput<v.ObjectSchema<typeof COMMON_ENV, undefined>>
/** The validated environment a function sees: the common entries plus its own. */
export type FunctionEnv<E extends v.ObjectEntries> = CommonEnv &
  v.InferOutput<v.ObjectSchema<E, undefined>>

export interface FunctionDeps<
  S extends ConfigService,
  E extends v.ObjectEntries = Record<never, never>,
> {
  db: Sql
  config: ConfigCache<S>
  verifier: AccessTokenVerifier
  limiter: RateLimiter
  log: Logger
  /**
   * Signs list cursors. With `cursors: false` it is random per process (nothing signed
   * with it survives a restart or crosses replicas), so such a function must not page.
   */
  cursorSecret: Uint8Array
  metrics: Registry
  /** The validated environment, the function's own entries (`spec.env`) included. */
  env: FunctionEnv<E>
  /** The key set `spec.keys` loaded; undefined for functions that verify remotely. */
  keys: KeySet | undefined
}

export interface FunctionSpec<
  S extends ConfigService,
  E extends v.ObjectEntries = Record<never, never>,
> {
  name: string
  /** The configs this function reads; all must load before it reports ready. */
  services: readonly S[]
  /**
   * The function's own environment entries, validated in the same pass as the common
   * ones, so a bad environment is reported in one go, one line per variable.
   */
  env?: E
  /**
   * For the function that holds the signing keys (auth): loads them from the validated
   * environment. The verifier then trusts exactly this key set and AUTH_JWKS_URL is not
   * read (auth would otherwise fetch its own JWKS over HTTP). A thrown Error's message
   * is printed as the boot failure, so it must name the variable and never the key.
   */
  keys?: (env: FunctionEnv<E>) => Promise<KeySet>
  /**
   * Work the function runs beside serving once it is ready (orgs: saga recovery). The
   * returned function stops it at shutdown, before the pools close.
   */
  background?(deps: FunctionDeps<S, E>): () => Promise<void>
  /** False for a function without paginated lists: CURSOR_SECRET is then not read. */
  cursors?: boolean
  /** May be async, to import what only some environments need (orgs' Kubernetes client). */
  build(deps: FunctionDeps<S, E>): Hono<AppEnv> | Promise<Hono<AppEnv>>
}

export async function startFunction<
  S extends ConfigService,
  E extends v.ObjectEntries = Record<never, never>,
>(spec: FunctionSpec<S, E>): Promise<void> {
  const cursors = spec.cursors ?? true
  const entries: v.ObjectEntries = {
    ...COMMON_ENV,
    ...(spec.keys ? {} : REMOTE_KEYS_ENV),
    ...(cursors ? CURSOR_ENV : {}),
    ...spec.env,
  }
  const schema = v.object(entries)
  const env = loadEnv(schema) as FunctionEnv<E> & { AUTH_JWKS_URL?: string; CURSOR_SECRET?: string }
  const keys = spec.keys ? await loadKeys(spec.keys, env) : undefined
  const log = createLogger(spec.name, { level: env.LOG_LEVEL })
  const lastResort = installLastResort(log)
  const metrics = createMetricsRegistry({ defaultMetrics: false })
  const readiness = new Readiness()
  const db = instrumentPool(connect(env.DATABASE_URL), metrics)
  // Loaded only when used: evaluating ioredis costs ~25 ms of every cold start.
  const redis = env.REDIS_URL
    ? new (await import('ioredis')).Redis(env.REDIS_URL, {
        commandTimeout: 200,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
      })
    : undefined
  redis?.on('error', () => {}) // reported by the limiter's fallback, not as an unhandled event
  const limiter = redis
    ? new FallbackRateLimiter(new RedisRateLimiter(redis), log)
    : new InProcessRateLimiter()
  const config = new ConfigCache(db, spec.services, log)
  // Started before the app is built: the connection opens (postgres.js connects from a
  // timer) and the query runs as soon as the event loop is free.
  const configLoaded = config.load().then(
    () => undefined,
    (error: unknown) => error,
  )
  const verifier = await createVerifier({
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    jwks: keys ? keys.publicJwks() : (env.AUTH_JWKS_URL as string),
  })
  const deps: FunctionDeps<S, E> = {
    db,
    config,
    verifier,
    limiter,
    log,
    cursorSecret: env.CURSOR_SECRET
      ? new TextEncoder().encode(env.CURSOR_SECRET)
      : new Uint8Array(randomBytes(32)),
    metrics,
    env,
    keys,
  }
  const app = await spec.build(deps)
  let stopBackground: (() => Promise<void>) | undefined
  registerHealth(app, readiness)
  registerMetrics(app, metrics)
  // Work that needs no database, done while PostgreSQL sets up the session rather than
  // before or after it: Hono builds its router at the first match (otherwise the first
  // request's), Node's process metrics take ~1 ms to set up, listen() loads Node's
  // cluster module (~2 ms) to learn whether this process is a cluster worker, and Node's
  // HTTP server code compiles on its first request (~2 ms).
  whileDatabaseAnswers(
    () => {
      app.router.match('GET', '/')
      collectProcessMetrics(metrics)
      process.getBuiltinModule('node:cluster')
    },
    () => void warmHttpServer(),
  )

  const served = await serve(app, {
    port: env.PORT,
    log,
    readiness,
    // Probes that come before the configs have loaded would only be turned away, and
    // answering them cold slows the start down (ADR-0005): a quick start listens once it
    // is ready. A slow one (database far away or down) listens after LISTEN_GRACE_MS and
    // answers /readyz 503 until it is ready.
    listenAfter: settledWithin(configLoaded, LISTEN_GRACE_MS),
    onShutdown: async () => {
      await stopBackground?.()
      await db.end({ timeout: 5 })
      redis?.disconnect()
    },
  })
  lastResort.serving(served)
  const configError = await configLoaded
  if (configError !== undefined) {
    log.fatal({ err: configError }, 'config did not load; not ready')
    await served.shutdown('config')
    return
  }
  readiness.provideConfigs(() => config.versions() as Record<string, number>)
  trackConfigVersions(metrics, () => config.held())
  stopBackground = spec.background?.(deps)
  readiness.ready()
  log.info({ port: served.port }, `${spec.name} ready`)
  log.flush() // lines are batched; this one is waited for
}

/**
 * Runs `steps` in the time the event loop would otherwise spend waiting for PostgreSQL
 * while the pool's first connection is set up: the startup message, then postgres.js's
 * array types query, then the config query, one round trip each. postgres.js opens the
 * connection from a zero-delay timer, set when the config load queued its query, and
 * sends each message from an immediate once the answer before it is in. So a timer set
 * after the config load fires after postgres.js's, and each step runs two immediates after
 * the one before: on a loopback or nearby server, after the next message has gone out.
 * Where PostgreSQL is slower to answer, a step simply runs before that message.
 */
function whileDatabaseAnswers(...steps: (() => void)[]): void {
  const runFrom = (index: number) => {
    const step = steps[index]
    if (!step) return
    setImmediate(() =>
      setImmediate(() => {
        step()
        runFrom(index + 1)
      }),
    )
  }
  setTimeout(() => runFrom(0), 0)
}

/** Resolves once `promise` has settled or `ms` have passed, whichever comes first. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  try {
    await Promise.race([promise, elapsed])
  } finally {
    clearTimeout(timer)
  }
}

/** Key material that does not load is a bad environment too: one line, exit 1. */
async function loadKeys<E>(load: (env: E) => Promise<KeySet>, env: E): Promise<KeySet> {
  try {
    return await load(env)
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : 'the keys did not load'}\n`)
    return process.exit(1)
  }
}
