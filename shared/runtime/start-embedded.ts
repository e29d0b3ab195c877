import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Hono } from 'hono'
import * as v from 'valibot'
import { startEmbeddedPostgres } from '#platform/embedded/postgres.ts'
import { createKeySet, loadOrCreateDevKey } from '#shared/auth/keys.ts'
import { createVerifier } from '#shared/auth/verifier.ts'
import { ConfigCache } from '#shared/config/cache.ts'
import { CONFIG_SERVICES } from '#shared/config/schemas.ts'
import { connect } from '#shared/db/client.ts'
import { loadEnv } from '#shared/env.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { Readiness, registerHealth } from '#shared/http/health.ts'
import {
  createMetricsRegistry,
  instrumentPool,
  registerMetrics,
  trackConfigVersions,
} from '#shared/http/metrics.ts'
import { createApp } from '#shared/http/platform.ts'
import { serve } from '#shared/http/serve.ts'
import { createLogger, LOG_LEVELS } from '#shared/log.ts'
import { InProcessRateLimiter } from '#shared/ratelimit/limiter.ts'
import { FallbackRateLimiter, RedisRateLimiter } from '#shared/ratelimit/redis-limiter.ts'
import { apiDocumentYaml } from './api-document.ts'
import { registerDocs } from './docs.ts'
import { EMBEDDED_FUNCTIONS } from './embedded-functions.ts'
import { type FunctionName, ownerOf } from './gateway.ts'
import { installLastResort } from './last-resort.ts'

/**
 * `npm start`: the whole API in one process on http://localhost:8080, behind the same
 * path routing as production (gateway.ts). Without DATABASE_URL it runs on an embedded
 * PostgreSQL (PGlite, persisted in .data/) and without REDIS_URL on in-process rate
 * limits; with them set it uses the real servers. The development signing key and the
 * cursor secret are created once in .data/ and kept, so tokens survive a restart.
 */

const Env = v.object({
  PORT: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'must be a port number'), v.transform(Number)),
    '8080',
  ),
  DATABASE_URL: v.optional(
    v.pipe(v.string(), v.regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL')),
  ),
  REDIS_URL: v.optional(v.pipe(v.string(), v.regex(/^rediss?:\/\/\S+$/, 'must be a redis:// URL'))),
  DATA_DIR: v.optional(v.string(), '.data'),
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`), 'info'),
})

const ISSUER = 'http://localhost/tenantry'
const AUDIENCE = 'tenantry-api'

const env = loadEnv(Env)
const log = createLogger('tenantry', { level: env.LOG_LEVEL })
const lastResort = installLastResort(log)
const dataDir = resolve(env.DATA_DIR)
await mkdir(dataDir, { recursive: true, mode: 0o700 })

const embedded = env.DATABASE_URL ? undefined : await startEmbeddedPostgres(dataDir, log)
const metrics = createMetricsRegistry()
const db = instrumentPool(connect(env.DATABASE_URL ?? embedded?.url ?? '', { max: 10 }), metrics)
const { Redis } = await import('ioredis')
const redis = env.REDIS_URL
  ? new Redis(env.REDIS_URL, {
      commandTimeout: 200,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    })
  : undefined
redis?.on('error', () => {})
const limiter = redis
  ? new FallbackRateLimiter(new RedisRateLimiter(redis), log)
  : new InProcessRateLimiter()
const keys = createKeySet(await loadOrCreateDevKey(dataDir))
const verifier = await createVerifier({
  issuer: ISSUER,
  audience: AUDIENCE,
  jwks: keys.publicJwks(),
})
const config = new ConfigCache(db, CONFIG_SERVICES, log)
await config.load()
trackConfigVersions(metrics, () => config.held())

const deps = {
  db,
  config,
  verifier,
  limiter,
  log,
  metrics,
  keys,
  issuer: ISSUER,
  audience: AUDIENCE,
  cursorSecret: await persistentSecret(join(dataDir, 'cursor-secret')),
}
const apps = new Map<FunctionName, Hono<AppEnv>>()
for (const fn of EMBEDDED_FUNCTIONS) apps.set(fn.name, fn.build(deps))

const readiness = new Readiness({ configs: () => config.versions() as Record<string, number> })
const host = createApp({ log })
registerHealth(host, readiness)
registerMetrics(host, metrics)
registerDocs(host, apiDocumentYaml())

// Started once ready; stopped at shutdown before the pool closes.
let background: (() => Promise<void>)[] = []
const served = await serve(
  {
    fetch: (request: Request) => {
      const owner = ownerOf(new URL(request.url).pathname)
      const app = owner ? apps.get(owner) : undefined
      return app ? app.fetch(request) : host.fetch(request)
    },
  },
  {
    port: env.PORT,
    log,
    readiness,
    onShutdown: async () => {
      await Promise.all(background.map((stop) => stop()))
      await db.end({ timeout: 5 })
      redis?.disconnect()
      await embedded?.stop()
    },
  },
)
lastResort.serving(served)
log.info(
  {
    url: `http://localhost:${served.port}`,
    functions: [...apps.keys()],
    database: embedded ? `embedded (${dataDir})` : 'DATABASE_URL',
    redis: redis ? 'REDIS_URL' : 'in-process',
  },
  `Tenantry API on http://localhost:${served.port}, reference at http://localhost:${served.port}/docs`,
)
// Log lines go out in batches; the one a person waits for goes out now.
log.flush()
readiness.ready()
background = EMBEDDED_FUNCTIONS.flatMap((fn) => (fn.background ? [fn.background(deps)] : []))

/** 32 random bytes kept in a file: list cursors stay valid across restarts. */
async function persistentSecret(file: string): Promise<Uint8Array> {
  try {
    return Buffer.from(await readFile(file, 'utf8'), 'base64url')
  } catch {
    const secret = randomBytes(32)
    await writeFile(file, secret.toString('base64url'), { mode: 0o600 })
    return secret
  }
}
