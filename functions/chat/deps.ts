import type { Redis } from 'ioredis'
import type { Sql } from 'postgres'
import type { Registry } from 'prom-client'
import type { AccessTokenVerifier } from '#shared/auth/verifier.ts'
import type { MessageBus } from '#shared/bus/bus.ts'
import type { ConfigReader } from '#shared/config/cache.ts'
import { defineRoute } from '#shared/http/route.ts'
import type { Logger } from '#shared/log.ts'
import type { RateLimiter } from '#shared/ratelimit/limiter.ts'
import type { ChatHub } from './lib/hub.ts'
import type { TicketStore } from './lib/streams.ts'

/** What the chat function is built from; its definition makes them once per process. */
export interface ChatDeps {
  db: Sql
  /** The catalog and limits (`chat`), read per request so a change applies at once. */
  config: ConfigReader<'chat' | 'ratelimits'>
  verifier: AccessTokenVerifier
  limiter: RateLimiter
  log: Logger
  cursorSecret: Uint8Array
  bus: MessageBus
  /** The process's command connection; undefined in `npm start` without REDIS_URL. */
  redis: Redis | undefined
  /** This instance's streams, and the fan-out to every other instance's. */
  hub: ChatHub
  tickets: TicketStore
  metrics?: Registry
  corsOrigins?: readonly string[]
}

/** Declares one of this function's routes (routes/*.ts). */
export const route = defineRoute<ChatDeps>()
