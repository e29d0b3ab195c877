import type * as v from 'valibot'
import { createVerifier } from '#shared/auth/verifier.ts'
import { ConfigCache } from '#shared/config/cache.ts'
import { keepCurrent, type Reload } from '#shared/config/reload.ts'
import type { ConfigService } from '#shared/config/schemas.ts'
import { connect } from '#shared/db/client.ts'
import { loadEnv } from '#shared/env.ts'
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
import { createLogger } from '#shared/log.ts'
import { startTracing, stopTracing } from '#shared/telemetry/tracing.ts'
import type { FunctionDefinition } from './definition.ts'
import { installLastResort } from './last-resort.ts'
import {
  busFor,
  connectRedis,
  cursorSecretOf,
  type FunctionEnv,
  functionEnvSchema,
  loadKeysOrExit,
  rateLimiterFor,
} from './process.ts'

/**
 * A function's process (DESIGN.md §1 "main module"): validate the environment once,
 * connect, load the config before reporting ready, serve on $PORT, drain on SIGTERM.
 * A function's main module is one call: `startFunction(definition)`.
 */

/** How long a start waits for its configs before it listens anyway (and answers 503). */
const LISTEN_GRACE_MS = 250

export async function startFunction<S extends ConfigService, E extends v.ObjectEntries, D>(
  definition: FunctionDefinition<S, E, D>,
): Promise<void> {
  const env = loadEnv(functionEnvSchema(definition)) as FunctionEnv<E>
  const keys = await loadKeysOrExit(definition, env)
  const log = createLogger(definition.name, { level: env.LOG_LEVEL })
  const lastResort = installLastResort(log)
  // Before the app is built: createApp installs the request spans only when tracing is on.
  await startTracing({
    serviceName: definition.name,
    endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    log,
  })
  const metrics = createMetricsRegistry({ defaultMetrics: false })
  const readiness = new Readiness()
  const db = instrumentPool(connect(env.DATABASE_URL), metrics)
  const redis = env.REDIS_URL ? await connectRedis(env.REDIS_URL) : undefined
  const limiter = rateLimiterFor(redis, log)
  const bus = await busFor(env.REDIS_URL, redis, log)
  const config = new ConfigCache(db, definition.services, log)
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
  const deps = await definition.prepare({
    db,
    config,
    verifier,
    limiter,
    log,
    cursorSecret: cursorSecretOf(env),
    metrics,
    env,
    keys,
    corsOrigins: env.CORS_ALLOWED_ORIGINS,
    bus,
    redis,
  })
  const app = definition.build(deps)
  const connections = definition.connections?.(deps)
  let stopBackground: (() => Promise<void>) | undefined
  let reload: Reload | undefined
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
    ...(connections?.websocket ? { websocket: { server: connections.websocket } } : {}),
    ...(connections ? { onDrain: () => connections.drain() } : {}),
    onShutdown: async () => {
      await stopBackground?.()
      await reload?.stop()
      await bus.close()
      await db.end({ timeout: 5 })
      redis?.disconnect()
      await stopTracing()
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
  stopBackground = definition.background?.(deps)
  readiness.ready()
  log.info({ port: served.port }, `${definition.name} ready`)
  log.flush() // lines are batched; this one is waited for
  // Hot reload starts once ready: its subscription is not on the way to the first request.
  reload = keepCurrent(config, {
    bus,
    log,
    reconcileMs: env.CONFIG_RECONCILE_SECONDS * 1000,
    metrics,
  })
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
