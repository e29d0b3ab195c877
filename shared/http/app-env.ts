import type { Principal } from '#shared/auth/verifier.ts'
import type { Logger } from '#shared/log.ts'
import type { KeyClaim } from './idempotency.ts'

/** The Hono environment every function's app shares: `new Hono<AppEnv>()`. */
export interface AppEnv {
  Variables: {
    requestId: string
    log: Logger
    /** The verified caller, set by authenticate() on authenticated routes. */
    principal: Principal
    /** The request body, validated against the route's schema (mount.ts). */
    body: unknown
    /** The request's Idempotency-Key, checked, for the handler to claim (idempotency.ts). */
    idempotency: KeyClaim
  }
}
