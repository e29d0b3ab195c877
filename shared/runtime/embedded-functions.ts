import type { Hono } from 'hono'
import type { Sql } from 'postgres'
import type { Registry } from 'prom-client'
import type { KeySet } from '#shared/auth/keys.ts'
import type { AccessTokenVerifier } from '#shared/auth/verifier.ts'
import type { ConfigCache } from '#shared/config/cache.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import type { RouteSpec } from '#shared/http/route-spec.ts'
import type { Logger } from '#shared/log.ts'
import type { RateLimiter } from '#shared/ratelimit/limiter.ts'
import { AUTH_ROUTES, createAuthApp } from '../../functions/auth/app.ts'
import { createMachineClients } from '../../functions/auth/lib/clients.ts'
import { createOrgsApp } from '../../functions/orgs/app.ts'
import { startSagaRecovery } from '../../functions/orgs/lib/saga-recovery.ts'
import { noProvisioner } from '../../functions/orgs/provisioner/provisioner.ts'
import { ORGS_ROUTES } from '../../functions/orgs/route-specs.ts'
import { createProjectsApp, PROJECTS_ROUTES } from '../../functions/projects/app.ts'
import type { FunctionName } from './gateway.ts'

/** Everything the embedded default can hand a function. */
export interface EmbeddedDeps {
  db: Sql
  config: ConfigCache
  verifier: AccessTokenVerifier
  limiter: RateLimiter
  log: Logger
  metrics: Registry
  keys: KeySet
  issuer: string
  audience: string
  cursorSecret: Uint8Array
}

/** The functions `npm start` mounts, each behind its paths in gateway.ts. */
export const EMBEDDED_FUNCTIONS: ReadonlyArray<{
  name: FunctionName
  build(deps: EmbeddedDeps): Hono<AppEnv>
  /** What it runs beside serving, as in its main module; returns its stop(). */
  background?(deps: EmbeddedDeps): () => Promise<void>
  /** Its routes, for the OpenAPI document. */
  routes: RouteSpec[]
}> = [
  {
    name: 'auth',
    // No machine clients in the embedded default; the socket's address is the client's.
    build: (deps) =>
      createAuthApp({ ...deps, clients: createMachineClients({}), trustProxy: false }),
    routes: AUTH_ROUTES,
  },
  {
    name: 'orgs',
    build: (deps) => createOrgsApp({ ...deps, provisioner: noProvisioner }),
    background: (deps) => startSagaRecovery({ ...deps, provisioner: noProvisioner }),
    routes: ORGS_ROUTES,
  },
  { name: 'projects', build: (deps) => createProjectsApp(deps), routes: PROJECTS_ROUTES },
]
