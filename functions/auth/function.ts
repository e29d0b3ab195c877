import { defineFunction, SCALE_TO_ZERO } from '#shared/runtime/definition.ts'
import { AUTH_ROUTES, createAuthApp } from './app.ts'
import type { AuthDeps } from './deps.ts'
import { createMachineClients } from './lib/clients.ts'
import { AUTH_ENV, loadAuthKeys } from './lib/env.ts'

/**
 * The auth function: guest sign-in, refresh rotation, client credentials and the JWKS.
 * It holds the private key, so it verifies with its own key set (no AUTH_JWKS_URL) and,
 * having no paginated lists, needs no CURSOR_SECRET.
 */
export const auth = defineFunction({
  name: 'auth',
  description: 'Guest sign-in, token refresh, client credentials and the JWKS',
  services: ['auth', 'ratelimits', 'features'],
  env: AUTH_ENV,
  keys: (env) => loadAuthKeys(env),
  cursors: false,
  routes: AUTH_ROUTES,
  paths: [
    { type: 'PathPrefix', value: '/v1/auth' },
    { type: 'Exact', value: '/.well-known/jwks.json' },
  ],
  // Sign-ins and refreshes are light; ten replicas are plenty.
  profile: { ...SCALE_TO_ZERO, maxScale: 10 },
  prepare: (deps): AuthDeps => {
    if (!deps.keys) throw new Error('the auth function needs its key set')
    return {
      ...deps,
      keys: deps.keys,
      issuer: deps.env.AUTH_ISSUER,
      audience: deps.env.AUTH_AUDIENCE,
      clients: createMachineClients(deps.env.AUTH_CLIENTS),
      trustProxy: deps.env.AUTH_TRUST_PROXY,
    }
  },
  build: createAuthApp,
})
