import type { Sql } from 'postgres'
import type { Registry } from 'prom-client'
import type { AccessTokenVerifier } from '#shared/auth/verifier.ts'
import type { MessageBus } from '#shared/bus/bus.ts'
import type { ConfigReader } from '#shared/config/cache.ts'
import { defineRoute } from '#shared/http/route.ts'
import type { Logger } from '#shared/log.ts'
import type { RateLimiter } from '#shared/ratelimit/limiter.ts'

/** What the config function is built from; its definition makes them once per process. */
export interface ConfigDeps {
  db: Sql
  /** Its own rate limits only: the configs it serves are read from SQL, never cached. */
  config: ConfigReader<'ratelimits'>
  verifier: AccessTokenVerifier
  limiter: RateLimiter
  log: Logger
  /** Signs the history's cursors (the same secret on every replica). */
  cursorSecret: Uint8Array
  /** Where a committed write's hint goes, for every replica to reload. */
  bus: MessageBus
  metrics?: Registry
  corsOrigins?: readonly string[]
  /** The clock a hint's commit time is read from (tests). */
  now?: () => number
}

/** Declares one of this function's routes (routes/*.ts). */
export const route = defineRoute<ConfigDeps>()
