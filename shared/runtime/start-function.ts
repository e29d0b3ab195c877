import type { Hono } from 'hono'
import { Redis } from 'ioredis'
import type { Sql } from 'postgres'
import type { Registry } from 'prom-client'
import * as v from 'valibot'
import { type AccessTokenVerifier, createVerifier } from '#shared/auth/verifier.ts'
import { ConfigCache } from '#shared/config/cache.ts'
import type { ConfigService } from '#shared/config/schemas.ts'
import { connect } from '#shared/db/client.ts'
import { loadEnv } from '#shared/env.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { Readiness, registerHealth } from '#shared/http/health.ts'
import { createMetricsRegistry, instrumentPool, registerMetrics } from '#shared/http/metrics.ts'
import { serve } from '#shared/http/serve.ts'
import { createLogger, LOG_LEVELS, type Logger } from '#shared/log.ts'
import { InProcessRateLimiter, type RateLimiter } from '#shared/ratelimit/limiter.ts'
import { FallbackRateLimiter, RedisRateLimiter } from '#shared/ratelimit/redis-limiter.ts'

/**
 * The process side every function shares (DESIGN.md §1 "main module"): validate the
 * environment once, connect, load the config before reporting ready, serve on $PORT,
 * drain on SIGTERM. A function's main module is one call to this with its app factory.
 */

const url = (protocols: RegExp, what: string) =>
  v.pipe(v.string(`required, ${what}`), v.regex(protocols, `must be ${what}`))

const Env = v.object({
  PORT: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'must be a port number'), v.transform(Number)),
    '8080',
  ),
  DATABASE_URL: url(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// URL for the app role'),
  REDIS_URL: v.optional(url(/^rediss?:\/\/\S+$/, 'a redis:// URL')),
  AUTH_ISSUER: v.pipe(v.string('required, the token issuer'), v.minLength(1, 'required')),
  AUTH_AUDIENCE: v.pipe(v.string('required, the token audience'), v.minLength(1, 'required')),
  AUTH_JWKS_URL: v.pipe(
    v.string('required, the URL of the auth function’s /.well-known/jwks.json'),
    v.url('must be a URL'),
  ),
  CURSOR_SECRET: v.pipe(
    v.string('required, at least 32 characters shared by every replica'),
    v.minLength(32, 'must be at least 32 characters'),
  ),
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`), 'info'),
})

export interface FunctionDeps<S extends ConfigService> {
  db: Sql
  config: ConfigCache<S>
  verifier: AccessTokenVerifier
  limiter: RateLimiter
  log: Logger
  cursorSecret: Uint8Array
  metrics: Registry
}

export interface FunctionSpec<S extends ConfigService> {
  name: string
  /** The configs this function reads; all must load before it reports ready. */
  services: readonly S[]
  build(deps: FunctionDeps<S>): Hono<AppEnv>
}

export async function startFunction<S extends ConfigService>(spec: FunctionSpec<S>): Promise<void> {
  const env = loadEnv(Env)
  const log = createLogger(spec.name, { level: env.LOG_LEVEL })
  const metrics = createMetricsRegistry()
  const readiness = new Readiness()
  const db = instrumentPool(connect(env.DATABASE_URL), metrics)
  const redis = env.REDIS_URL
    ? new Redis(env.REDIS_URL, {
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
  const verifier = await createVerifier({
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    jwks: env.AUTH_JWKS_URL,
  })
  const app = spec.build({
    db,
    config,
    verifier,
    limiter,
    log,
    cursorSecret: new TextEncoder().encode(env.CURSOR_SECRET),
    metrics,
  })
  registerHealth(app, readiness)
  registerMetrics(app, metrics)

  const served = await serve(app, {
    port: env.PORT,
    log,
    readiness,
    onShutdown: async () => {
      await db.end({ timeout: 5 })
      redis?.disconnect()
    },
  })
  try {
    await config.load()
  } catch (error) {
    log.fatal({ err: error }, 'config did not load; not ready')
    await served.shutdown('config')
    return
  }
  readiness.provideConfigs(() => config.versions() as Record<string, number>)
  readiness.ready()
  log.info({ port: served.port }, `${spec.name} ready`)
}
