import type { Redis } from 'ioredis'
import type { Sql } from 'postgres'
import type { Registry } from 'prom-client'
import * as v from 'valibot'
import type { KeySet } from '#shared/auth/keys.ts'
import type { AccessTokenVerifier } from '#shared/auth/verifier.ts'
import type { MessageBus } from '#shared/bus/bus.ts'
import { createInProcessBus } from '#shared/bus/in-process-bus.ts'
import { COMMAND_CONNECTION_OPTIONS, createRedisBus } from '#shared/bus/redis-bus.ts'
import type { ConfigCache } from '#shared/config/cache.ts'
import { RECONCILE_SECONDS } from '#shared/config/reload.ts'
import type { ConfigService } from '#shared/config/schemas.ts'
import { parseCorsOrigins } from '#shared/http/cors.ts'
import { LOG_LEVELS, type Logger } from '#shared/log.ts'
import { InProcessRateLimiter, type RateLimiter } from '#shared/ratelimit/limiter.ts'
import { FallbackRateLimiter, RedisRateLimiter } from '#shared/ratelimit/redis-limiter.ts'
import type { FunctionDefinition } from './definition.ts'

/**
 * The process wiring a function's own process (start-function.ts) and `npm start`
 * (platform/embedded/start.ts) share: the environment a function reads, and how its
 * clients are made. Both read a function's environment through `functionEnvSchema`, so
 * a variable means the same thing wherever the function runs.
 */

const url = (protocols: RegExp, what: string) =>
  v.pipe(v.string(`required, ${what}`), v.regex(protocols, `must be ${what}`))

export const PORT_ENTRY = v.optional(
  v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'must be a port number'), v.transform(Number)),
  '8080',
)
export const LOG_LEVEL_ENTRY = v.optional(
  v.picklist(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`),
  'info',
)
export const REDIS_URL_ENTRY = v.optional(url(/^rediss?:\/\/\S+$/, 'a redis:// URL'))
/** Origins a browser page may call the API from, comma-separated; none by default. */
export const CORS_ENTRY = v.optional(
  v.pipe(
    v.string(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      try {
        return parseCorsOrigins(dataset.value)
      } catch (error) {
        addIssue({ message: error instanceof Error ? error.message : 'not a list of origins' })
        return NEVER
      }
    }),
  ),
  '',
)

/** How often every config is re-read from SQL, whatever the hints say (reload.ts). */
export const RECONCILE_ENTRY = v.optional(
  v.pipe(
    v.string(),
    v.regex(/^\d+(\.\d+)?$/, 'must be a number of seconds'),
    v.transform(Number),
    v.minValue(0.05, 'must be at least 0.05 seconds'),
  ),
  String(RECONCILE_SECONDS),
)

/**
 * Where spans go (OTLP over HTTP, e.g. `http://otel-collector:4318`); empty or unset,
 * tracing is off and its SDK is never loaded (shared/telemetry/tracing.ts).
 */
export const OTLP_ENDPOINT_ENTRY = v.optional(
  v.union([
    v.literal(''),
    v.pipe(
      v.string(),
      v.url('must be an http(s):// URL'),
      v.regex(/^https?:\/\//i, 'must be an http(s):// URL'),
    ),
  ]),
  '',
)

/** What every function reads. */
export const COMMON_ENV = {
  PORT: PORT_ENTRY,
  DATABASE_URL: url(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// URL for the app role'),
  REDIS_URL: REDIS_URL_ENTRY,
  AUTH_ISSUER: v.pipe(v.string('required, the token issuer'), v.minLength(1, 'required')),
  AUTH_AUDIENCE: v.pipe(v.string('required, the token audience'), v.minLength(1, 'required')),
  LOG_LEVEL: LOG_LEVEL_ENTRY,
  CORS_ALLOWED_ORIGINS: CORS_ENTRY,
  CONFIG_RECONCILE_SECONDS: RECONCILE_ENTRY,
  OTEL_EXPORTER_OTLP_ENDPOINT: OTLP_ENDPOINT_ENTRY,
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
  v.InferOutput<v.ObjectSchema<E, undefined>> & {
    AUTH_JWKS_URL?: string
    CURSOR_SECRET?: string
  }

/** Every variable a function reads, for one validation pass. */
export function functionEnvSchema(definition: {
  env?: v.ObjectEntries
  keys?: unknown
  cursors?: boolean
}): v.ObjectSchema<v.ObjectEntries, undefined> {
  const entries: v.ObjectEntries = {
    ...COMMON_ENV,
    ...(definition.keys ? {} : REMOTE_KEYS_ENV),
    ...((definition.cursors ?? true) ? CURSOR_ENV : {}),
    ...definition.env,
  }
  return v.object(entries)
}

/** What the process hands a function's `prepare()`. */
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
   * Signs list cursors and seals stored idempotent responses. With `cursors: false` it is
   * random per process (nothing signed with it survives a restart or crosses replicas),
   * so such a function must not page.
   */
  cursorSecret: Uint8Array
  metrics: Registry
  /** The validated environment, the function's own entries included. */
  env: FunctionEnv<E>
  /** The key set `keys` loaded; undefined for functions that verify remotely. */
  keys: KeySet | undefined
  /** Origins allowed by CORS (none by default). */
  corsOrigins: readonly string[]
  /** Messages between replicas: config hints, chat replies. */
  bus: MessageBus
  /** The process's fail-fast command connection (connectRedis); undefined without Redis. */
  redis: Redis | undefined
}

/**
 * A Redis client that fails fast: a command that cannot be sent at once fails (no
 * offline queue) and one that gets no answer fails after 200 ms, so that callers fall
 * back (the rate limiter) instead of waiting on a Redis that is down. Loaded only when
 * used: evaluating ioredis costs ~25 ms of every cold start.
 */
export async function connectRedis(redisUrl: string): Promise<Redis> {
  const { Redis } = await import('ioredis')
  const redis = new Redis(redisUrl, COMMAND_CONNECTION_OPTIONS)
  redis.on('error', () => {}) // reported by the limiter's fallback, not as an unhandled event
  return redis
}

/** Redis pub/sub with Redis; without it, the process's own (npm start: every function in it). */
export function busFor(
  redisUrl: string | undefined,
  redis: Redis | undefined,
  log: Logger,
): Promise<MessageBus> {
  return redisUrl && redis
    ? createRedisBus({ url: redisUrl, publisher: redis, log })
    : Promise.resolve(createInProcessBus({ log }))
}

/** On Redis while it answers, per replica while it does not; in process without Redis. */
export function rateLimiterFor(redis: Redis | undefined, log: Logger): RateLimiter {
  return redis
    ? new FallbackRateLimiter(new RedisRateLimiter(redis), log)
    : new InProcessRateLimiter()
}

/** The cursor secret a function signs with: its CURSOR_SECRET, or random (see FunctionDeps). */
export function cursorSecretOf(env: { CURSOR_SECRET?: string }): Uint8Array {
  return env.CURSOR_SECRET
    ? new TextEncoder().encode(env.CURSOR_SECRET)
    : crypto.getRandomValues(new Uint8Array(32))
}

/** Key material that does not load is a bad environment too: one line, exit 1. */
export async function loadKeysOrExit<E extends v.ObjectEntries>(
  definition: Pick<FunctionDefinition<ConfigService, E>, 'keys'>,
  env: FunctionEnv<E>,
): Promise<KeySet | undefined> {
  if (!definition.keys) return undefined
  try {
    return await definition.keys(env)
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : 'the keys did not load'}\n`)
    return process.exit(1)
  }
}
