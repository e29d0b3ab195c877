import type { Hono, MiddlewareHandler } from 'hono'
import type { Sql } from 'postgres'
import type { Registry } from 'prom-client'
import type { AccessTokenVerifier } from '#shared/auth/verifier.ts'
import type { ConfigReader } from '#shared/config/cache.ts'
import type { Logger } from '#shared/log.ts'
import type { RateLimiter } from '#shared/ratelimit/limiter.ts'
import type { AppEnv } from './app-env.ts'
import { authenticate, currentUser, requireScope, requireUser } from './authenticate.ts'
import { idempotency } from './idempotency.ts'
import { jsonBody } from './input.ts'
import { createApp } from './platform.ts'
import { rateLimit } from './rate-limit.ts'
import type { Route } from './route.ts'

/**
 * A function's app from its route table: for each route, the middleware its definition
 * asks for, in this order —
 *   1. authentication (auth ≠ 'none'): the bearer token (401), then the token's kind
 *      and scope (403);
 *   2. the caller's rate limit (`ratelimits.authenticated`, per user or machine client,
 *      read per request so a config change applies at once);
 *   3. the route's own middleware (`use`), e.g. guest sign-in's limit per address;
 *   4. the body, parsed and validated against `body` (415, 400), before anything that
 *      writes — a request that fails validation never claims an Idempotency-Key;
 *   5. Idempotency-Key (`idempotent`);
 *   6. the handler, given the validated body.
 * Nothing is mounted by path string elsewhere, so the OpenAPI document, which is made
 * from the same route objects, describes exactly what runs.
 */

export interface MountDeps {
  log: Logger
  metrics?: Registry
  /** Needed as soon as one route is authenticated. */
  verifier?: AccessTokenVerifier
  limiter: RateLimiter
  config: ConfigReader<'ratelimits'>
  /** Where Idempotency-Keys are kept. */
  db: Sql
  /** Seals stored idempotent responses (and signs list cursors); needed by idempotent routes. */
  cursorSecret?: Uint8Array
  /** Origins allowed by CORS (none by default). */
  corsOrigins?: readonly string[]
}

export function functionApp<D extends MountDeps>(
  routes: readonly Route<D>[],
  deps: D,
  options: { bodyLimit?: number } = {},
): Hono<AppEnv> {
  const app = createApp({
    log: deps.log,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
    ...(deps.corsOrigins?.length ? { corsOrigins: deps.corsOrigins } : {}),
  })
  const verified = deps.verifier ? authenticate(deps.verifier) : undefined
  const callerLimit = rateLimit({
    limiter: deps.limiter,
    policy: () => {
      const { limit, window_seconds } = deps.config.get('ratelimits').authenticated
      return { name: 'authenticated', limit, windowSeconds: window_seconds }
    },
    subject: (c) => {
      const principal = c.get('principal')
      return principal.kind === 'user' ? `user:${principal.userId}` : `client:${principal.clientId}`
    },
  })
  const keyed = deps.cursorSecret
    ? idempotency({ db: deps.db, userOf: (c) => currentUser(c).userId, secret: deps.cursorSecret })
    : undefined

  for (const route of routes) {
    const chain: MiddlewareHandler<AppEnv>[] = []
    if (route.auth !== 'none') {
      if (!verified) throw new Error(`${route.path} is authenticated but no verifier was given`)
      const { auth } = route
      chain.push(
        verified,
        (c, next) => {
          const principal = c.get('principal')
          if (auth === 'user') requireUser(principal)
          else requireScope(principal, auth.scope)
          return next()
        },
        callerLimit,
      )
    }
    chain.push(...(route.use?.(deps) ?? []))
    const schema = route.body
    if (schema) {
      chain.push(async (c, next) => {
        c.set('body', await jsonBody(c, schema))
        await next()
      })
    }
    if (route.idempotent) {
      if (route.auth !== 'user' || !keyed) {
        throw new Error(`${route.path}: Idempotency-Keys need a user route and a secret`)
      }
      chain.push(keyed)
    }
    const handler: MiddlewareHandler<AppEnv> = (c) =>
      Promise.resolve(route.handler(c as never, deps, { body: c.get('body') as never }))
    // Hono's overloads want a fixed-length list; the chain is built per route.
    const handlers = [...chain, handler] as [MiddlewareHandler<AppEnv>]
    app.on(route.method.toUpperCase(), route.path, ...handlers)
  }
  return app
}
