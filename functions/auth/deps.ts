import type { Sql } from 'postgres'
import type { Registry } from 'prom-client'
import type { KeySet } from '#shared/auth/keys.ts'
import type { ConfigReader } from '#shared/config/cache.ts'
import { defineRoute } from '#shared/http/route.ts'
import type { Logger } from '#shared/log.ts'
import type { RateLimiter } from '#shared/ratelimit/limiter.ts'
import type { MachineClients } from './lib/clients.ts'

/** What the auth function is built from; its definition makes them once per process. */
export interface AuthDeps {
  db: Sql
  /** `auth` (token lifetimes), `ratelimits` (guest sign-in per address), `features`. */
  config: ConfigReader<'auth' | 'ratelimits' | 'features'>
  /** The active signing key plus the keys still published for rotation. */
  keys: KeySet
  issuer: string
  audience: string
  /** The machine clients allowed to use client credentials. */
  clients: MachineClients
  limiter: RateLimiter
  /**
   * True only behind a proxy that sets X-Forwarded-For itself (see lib/client-address.ts);
   * otherwise the socket's address is the client's.
   */
  trustProxy: boolean
  log: Logger
  metrics?: Registry
  corsOrigins?: readonly string[]
  /** Draws a guest handle; tests inject one to force collisions. Random by default. */
  newHandle?: () => string
}

/** Declares one of this function's routes (routes/*.ts). */
export const route = defineRoute<AuthDeps>()
