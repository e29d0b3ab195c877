import { startFunction } from '#shared/runtime/start-function.ts'
import { createAuthApp } from './app.ts'
import { createMachineClients } from './lib/clients.ts'
import { AUTH_ENV, loadAuthKeys } from './lib/env.ts'

// The process: `node dist/auth/index.mjs`, whose loader calls main(), or
// `npm run dev -- auth`, which runs this file as the main module. The auth
// function holds the private key and serves the JWKS, so it verifies with its own key
// set (no AUTH_JWKS_URL) and, having no paginated lists, needs no CURSOR_SECRET.
export const main = (): Promise<void> =>
  startFunction({
    name: 'auth',
    services: ['auth', 'ratelimits'],
    env: AUTH_ENV,
    keys: (env) => loadAuthKeys(env),
    cursors: false,
    build: (deps) => {
      if (!deps.keys) throw new Error('the auth function needs its key set')
      return createAuthApp({
        ...deps,
        keys: deps.keys,
        issuer: deps.env.AUTH_ISSUER,
        audience: deps.env.AUTH_AUDIENCE,
        clients: createMachineClients(deps.env.AUTH_CLIENTS),
        trustProxy: deps.env.AUTH_TRUST_PROXY,
      })
    },
  })

if (import.meta.main) await main()
