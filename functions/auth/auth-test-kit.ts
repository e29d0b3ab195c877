import { createHash, generateKeyPairSync } from 'node:crypto'
import type { Sql } from 'postgres'
import { createKeySet, type KeySet, loadSigningKey } from '#shared/auth/keys.ts'
import { type AccessTokenVerifier, createVerifier } from '#shared/auth/verifier.ts'
import { ConfigCache } from '#shared/config/cache.ts'
import { createLogger } from '#shared/log.ts'
import { InProcessRateLimiter } from '#shared/ratelimit/limiter.ts'
import { TEST_AUDIENCE, TEST_ISSUER } from '#test/harness/auth.ts'
import { createAuthApp } from './app.ts'
import type { AuthDeps } from './deps.ts'
import { createMachineClients } from './lib/clients.ts'

/** Builds the auth app for tests, and calls it the way the Node adapter would. */

export const OPS_SECRET = 'ops-secret-0123456789abcdef0123456789abcdef'
export const sha256hex = (text: string) => createHash('sha256').update(text).digest('hex')

export interface Kit {
  app: ReturnType<typeof createAuthApp>
  keys: KeySet
  /** The shared verifier, trusting exactly the app's published keys. */
  verifier: AccessTokenVerifier
  config: ConfigCache<'auth' | 'ratelimits'>
}

export async function authKit(db: Sql, overrides: Partial<AuthDeps> = {}): Promise<Kit> {
  const pem = generateKeyPairSync('ed25519')
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString()
  const keys = createKeySet(await loadSigningKey(pem))
  const log = createLogger('test', { level: 'silent' })
  const config = new ConfigCache(db, ['auth', 'ratelimits'], log)
  await config.load()
  const app = createAuthApp({
    db,
    config,
    keys,
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    clients: createMachineClients({
      ops: { secret_sha256: sha256hex(OPS_SECRET), scopes: ['config:read', 'config:write'] },
      reader: {
        secret_sha256: sha256hex('reader-secret-xxxxxxxxxxxxxxxx'),
        scopes: ['config:read'],
      },
    }),
    limiter: new InProcessRateLimiter(),
    trustProxy: false,
    log,
    ...overrides,
  })
  const verifier = await createVerifier({
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    jwks: keys.publicJwks(),
  })
  return { app, keys, verifier, config }
}

export interface CallOptions {
  body?: unknown
  /** Sent as is (no JSON encoding, no content type unless given in headers). */
  raw?: string
  headers?: Record<string, string>
  /** The socket's peer address, as @hono/node-server passes it in the bindings. */
  address?: string
}

export interface Answer {
  status: number
  headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: test responses are checked field by field
  body: any
  text: string
}

export async function call(
  app: Kit['app'],
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  let body: string | undefined = options.raw
  if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  const bindings = { incoming: { socket: { remoteAddress: options.address ?? '192.0.2.10' } } }
  const res = await app.request(
    path,
    { method, headers, ...(body === undefined ? {} : { body }) },
    bindings,
  )
  const text = await res.text()
  let parsed: unknown = null
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    parsed = text
  }
  return { status: res.status, headers: res.headers, body: parsed, text }
}

/** A guest sign-in that must succeed. */
export async function signIn(kit: Kit, address?: string) {
  const res = await call(kit.app, 'POST', '/v1/auth/guest', address ? { address } : {})
  if (res.status !== 201) throw new Error(`guest sign-in failed: ${res.status} ${res.text}`)
  return res.body as {
    access_token: string
    token_type: string
    expires_in: number
    refresh_token: string
    user: { id: string; handle: string }
  }
}

export function refresh(kit: Kit, token: string) {
  return call(kit.app, 'POST', '/v1/auth/refresh', { body: { refresh_token: token } })
}
