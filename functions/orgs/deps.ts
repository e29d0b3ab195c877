import type { Sql } from 'postgres'
import type { Registry } from 'prom-client'
import type { AccessTokenVerifier } from '#shared/auth/verifier.ts'
import type { ConfigReader } from '#shared/config/cache.ts'
import { defineRoute } from '#shared/http/route.ts'
import type { Logger } from '#shared/log.ts'
import type { RateLimiter } from '#shared/ratelimit/limiter.ts'
import type { SagaHooks } from './lib/saga.ts'
import type { Provisioner } from './provisioner/provisioner.ts'

/** What the orgs function is built from; its definition makes them once per process. */
export interface OrgsDeps {
  db: Sql
  config: ConfigReader<'ratelimits'>
  verifier: AccessTokenVerifier
  limiter: RateLimiter
  log: Logger
  /** Signs list cursors (the same secret on every replica). */
  cursorSecret: Uint8Array
  /** Tenant resources made for each org (a namespace, or nothing). */
  provisioner: Provisioner
  /** Fault-injection seam of the creation saga; tests only, never set by the definition. */
  sagaHooks?: SagaHooks
  metrics?: Registry
  corsOrigins?: readonly string[]
}

/** Declares one of this function's routes (routes/*.ts). */
export const route = defineRoute<OrgsDeps>()
