import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Hono } from 'hono'
import * as v from 'valibot'
import { DEV_KEY_FILE, loadOrCreateDevKey } from '#shared/auth/keys.ts'
import { createVerifier } from '#shared/auth/verifier.ts'
import { ConfigCache } from '#shared/config/cache.ts'
import { keepCurrent } from '#shared/config/reload.ts'
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
import { requestParent } from '#shared/http/tracing.ts'
import { createLogger } from '#shared/log.ts'
import type { AnyFunction, LongLivedConnections } from '#shared/runtime/definition.ts'
import { installLastResort } from '#shared/runtime/last-resort.ts'
import {
  busFor,
  connectRedis,
  cursorSecretOf,
  type FunctionEnv,
  functionEnvSchema,
  LOG_LEVEL_ENTRY,
  loadKeysOrExit,
  OTLP_ENDPOINT_ENTRY,
  PORT_ENTRY,
  REDIS_URL_ENTRY,
  rateLimiterFor,
} from '#shared/runtime/process.ts'
import { startTracing, stopTracing } from '#shared/telemetry/tracing.ts'
import { registerDocs } from '../docs.ts'
import { FUNCTIONS } from '../functions.ts'
import { ownerOf } from '../gateway.ts'
import { apiDocumentYaml } from '../openapi.ts'
import { registerWeb } from '../web.ts'
import { devClient, devClientLines } from './dev-client.ts'
import { startEmbeddedPostgres } from './postgres.ts'

/**
 * `npm start`: the whole API in one process on http://localhost:8080, behind the same
 * path routing as production (platform/gateway.ts). Every function of the list runs
 * here with the same definition, read the same environment (its own variables, such as
 * AUTH_CLIENTS, exactly as its own process reads them) and shares one pool, one config
 * cache, one rate limiter and one key set. Without DATABASE_URL it runs an embedded
 * PostgreSQL server (ADR-0006) and without REDIS_URL in-process rate limits; with them
 * set it uses the real servers. The development signing key and the cursor secret are
 * created once in DATA_DIR and kept, so tokens and cursors survive a restart.
 */

const Env = v.object({
  PORT: PORT_ENTRY,
  // Loopback by default: the embedded default is for the machine it runs on. HOST=0.0.0.0
  // (or an address) serves other machines too.
  HOST: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9.:-]{1,253}$/, 'must be an address or a host name')),
    '127.0.0.1',
  ),
  DATABASE_URL: v.optional(
    v.pipe(v.string(), v.regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL')),
  ),
  REDIS_URL: REDIS_URL_ENTRY,
  DATA_DIR: v.optional(v.string(), '.data'),
  LOG_LEVEL: LOG_LEVEL_ENTRY,
  OTEL_EXPORTER_OTLP_ENDPOINT: OTLP_ENDPOINT_ENTRY,
})

/** Stands for the embedded server's URL while the environment is checked. */
const EMBEDDED_URL_PENDING = 'postgres://embedded/tenantry'

/** Who the embedded default's tokens are from and for (its own processes check them). */
const ISSUER = 'http://localhost/tenantry'
const AUDIENCE = 'tenantry-api'

const env = loadEnv(Env)
const log = createLogger('tenantry', { level: env.LOG_LEVEL })
const shownHost = env.HOST === '127.0.0.1' || env.HOST === '0.0.0.0' ? 'localhost' : env.HOST
const lastResort = installLastResort(log)
// Before any app is built: createApp installs the request spans only when tracing is on.
const tracer = await startTracing({
  serviceName: 'tenantry',
  endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  log,
})
const dataDir = resolve(env.DATA_DIR)
await mkdir(dataDir, { recursive: true, mode: 0o700 })

// What every function would be given by its deployment, supplied here; anything the
// user sets in the environment wins. AUTH_JWKS_URL is validated like everywhere but not
// fetched: every function here trusts the one key set the auth function loads.
// Without AUTH_CLIENTS, one development client, so that the config routes work at once.
const dev = process.env.AUTH_CLIENTS ? undefined : await devClient(dataDir)
const supplied: Record<string, string | undefined> = {
  ...(dev ? { AUTH_CLIENTS: dev.authClients } : {}),
  AUTH_JWKS_URL: `http://localhost:${env.PORT}/.well-known/jwks.json`,
  AUTH_SIGNING_KEY: await persistentDevKey(dataDir),
  CURSOR_SECRET: await persistentSecret(join(dataDir, 'cursor-secret')),
  ...definedOnly(process.env),
  AUTH_ISSUER: ISSUER,
  AUTH_AUDIENCE: AUDIENCE,
  // The embedded server's URL is known once it runs, and it starts only after every
  // variable is checked: a start refused for one leaves no server behind to stop.
  DATABASE_URL: env.DATABASE_URL ?? EMBEDDED_URL_PENDING,
  PORT: String(env.PORT),
}
const envs = new Map<AnyFunction, FunctionEnv<v.ObjectEntries>>(
  FUNCTIONS.map((fn) => [
    fn,
    loadEnv(functionEnvSchema(fn), supplied) as FunctionEnv<v.ObjectEntries>,
  ]),
)
let keys: Awaited<ReturnType<typeof loadKeysOrExit>>
for (const fn of FUNCTIONS) keys ??= await loadKeysOrExit(fn, envs.get(fn) as FunctionEnv<never>)
if (!keys) throw new Error('no function of the list holds the signing keys')

const embedded = env.DATABASE_URL
  ? undefined
  : await startEmbeddedPostgres(dataDir, log).catch(cannotStart)
const databaseUrl = env.DATABASE_URL ?? embedded?.url ?? ''
for (const fnEnv of envs.values()) fnEnv.DATABASE_URL = databaseUrl

const metrics = createMetricsRegistry()
const db = instrumentPool(connect(databaseUrl, { max: 10 }), metrics)
const redis = env.REDIS_URL ? await connectRedis(env.REDIS_URL) : undefined
const limiter = rateLimiterFor(redis, log)
const bus = await busFor(env.REDIS_URL, redis, log)
const verifier = await createVerifier({
  issuer: ISSUER,
  audience: AUDIENCE,
  jwks: keys.publicJwks(),
})
const config = new ConfigCache(db, CONFIG_SERVICES, log)
await config.load()
trackConfigVersions(metrics, () => config.held())

const apps = new Map<string, Hono<AppEnv>>()
const prepared = new Map<AnyFunction, unknown>()
const connections: LongLivedConnections[] = []
for (const fn of FUNCTIONS) {
  const fnEnv = envs.get(fn) as FunctionEnv<v.ObjectEntries>
  const deps = await fn.prepare({
    db,
    config,
    verifier,
    limiter,
    log,
    cursorSecret: cursorSecretOf(fnEnv),
    metrics,
    env: fnEnv,
    keys,
    corsOrigins: fnEnv.CORS_ALLOWED_ORIGINS,
    bus,
    redis,
  })
  prepared.set(fn, deps)
  apps.set(fn.name, fn.build(deps))
  const held = fn.connections?.(deps)
  if (held) connections.push(held)
}
// One listener serves every function here: at most one of them may take upgrades.
const websockets = connections.flatMap((held) => (held.websocket ? [held.websocket] : []))
if (websockets.length > 1) throw new Error('more than one function takes WebSocket upgrades')

const readiness = new Readiness({ configs: () => config.versions() as Record<string, number> })
const host = createApp({ log })
registerHealth(host, readiness)
registerMetrics(host, metrics)
registerDocs(host, apiDocumentYaml())
registerWeb(host)

// Started once ready; stopped at shutdown before the pool closes.
let background: (() => Promise<void>)[] = []
const served = await serve(
  {
    // `env` carries the Node request a WebSocket upgrade needs (@hono/node-server).
    fetch: (request: Request, env: never) => {
      const owner = ownerOf(new URL(request.url).pathname)
      const app = owner ? apps.get(owner) : undefined
      const dispatch = () => (app ? app.fetch(request, env) : host.fetch(request, env))
      if (!tracer) return dispatch()
      // The gateway's hop, as Envoy's would be in a cluster: the function's request span
      // is its child, in-process.
      return tracer.span(
        'gateway',
        {
          kind: 'server',
          parent: requestParent((name) => request.headers.get(name) ?? undefined),
          attributes: { 'tenantry.function': owner ?? 'platform' },
        },
        dispatch,
      )
    },
  },
  {
    port: env.PORT,
    hostname: env.HOST,
    log,
    readiness,
    ...(websockets[0] ? { websocket: { server: websockets[0] } } : {}),
    onDrain: async () => {
      await Promise.all(connections.map((held) => held.drain()))
    },
    onShutdown: async () => {
      await Promise.all(background.map((stop) => stop()))
      await reload.stop()
      await bus.close()
      await db.end({ timeout: 5 })
      redis?.disconnect()
      await embedded?.stop()
      await stopTracing()
    },
  },
)
lastResort.serving(served)
log.info(
  {
    url: `http://${shownHost}:${served.port}`,
    listening_on: env.HOST,
    functions: [...apps.keys()],
    database: embedded ? `embedded (${dataDir})` : 'DATABASE_URL',
    redis: redis ? 'REDIS_URL' : 'in-process',
  },
  `Tenantry API on http://${shownHost}:${served.port}, reference at http://${shownHost}:${served.port}/docs`,
)
// Log lines go out in batches; the one a person waits for goes out now.
log.flush()
if (dev)
  process.stderr.write(`${devClientLines(dev, `http://${shownHost}:${served.port}`).join('\n')}\n`)
readiness.ready()
// One cache for every function here, kept current by the same hints and reconciles.
const reload = keepCurrent(config, {
  bus,
  log,
  reconcileMs: (envs.get(FUNCTIONS[0] as AnyFunction)?.CONFIG_RECONCILE_SECONDS ?? 300) * 1000,
  metrics,
})
background = FUNCTIONS.flatMap((fn) => (fn.background ? [fn.background(prepared.get(fn))] : []))

/** A start that cannot go on (the data directory in use, say): one line, exit 1. */
function cannotStart(error: unknown): never {
  const reason = error instanceof Error ? error.message : String(error)
  log.fatal({ reason }, 'npm start cannot start')
  log.flush()
  process.stderr.write(`npm start: ${reason}\n`)
  return process.exit(1)
}

/** 32 random bytes kept in a file: list cursors stay valid across restarts. */
async function persistentSecret(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim()
  } catch {
    const secret = randomBytes(32).toString('base64url')
    await writeFile(file, secret, { mode: 0o600 })
    return secret
  }
}

/** The development signing key, made once and kept, so tokens survive a restart. */
async function persistentDevKey(dir: string): Promise<string> {
  await loadOrCreateDevKey(dir)
  return readFile(join(dir, DEV_KEY_FILE), 'utf8')
}

/** The environment without its empty entries (an empty value counts as unset). */
function definedOnly(source: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(source).filter((entry): entry is [string, string] => Boolean(entry[1])),
  )
}
