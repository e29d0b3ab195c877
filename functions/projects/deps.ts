import type { Sql } from 'postgres'
import type { Registry } from 'prom-client'
import type { AccessTokenVerifier } from '#shared/auth/verifier.ts'
import type { ConfigReader } from '#shared/config/cache.ts'
import { defineRoute } from '#shared/http/route.ts'
import type { Logger } from '#shared/log.ts'
import type { RateLimiter } from '#shared/ratelimit/limiter.ts'

/** What the projects function is built from; its definition makes them once per process. */
export interface ProjectsDeps {
  db: Sql
  config: ConfigReader<'projects' | 'ratelimits'>
  verifier: AccessTokenVerifier
  limiter: RateLimiter
  log: Logger
  /** Signs list cursors (the same secret on every replica). */
  cursorSecret: Uint8Array
  metrics?: Registry
  corsOrigins?: readonly string[]
}

/** Declares one of this function's routes (routes/*.ts). */
export const route = defineRoute<ProjectsDeps>()
