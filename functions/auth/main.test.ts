import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createVerifier } from '#shared/auth/verifier.ts'
import { OPS_SECRET, sha256hex } from '#test/harness/app.ts'
import { TEST_AUDIENCE, TEST_ISSUER } from '#test/harness/auth.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { freePort } from '#test/harness/local-servers.ts'
import { startProcess, waitReady } from '#test/harness/process.ts'

/**
 * The auth function as its own process (functions/auth/main.ts): environment checked at
 * boot (keys included), ready only after its config loaded, signing in a guest over real
 * HTTP, publishing the active and the rotation key, and exiting 0 on SIGTERM.
 */

const db = useTestDatabase()

const pem = (type: 'ed25519' | 'ec') =>
  (type === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('ed25519')
  ).privateKey
    .export({ type: 'pkcs8', format: 'pem' })
    .toString()

describe('auth function process', () => {
  it('signs a guest in over HTTP, serves the JWKS, and drains on SIGTERM', async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const signingKey = pem('ec')
    const proc = startProcess('functions/auth/main.ts', {
      PORT: String(port),
      DATABASE_URL: db.url('tenantry_app'),
      AUTH_ISSUER: TEST_ISSUER,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      // As a Secret often holds it: one line with literal \n.
      AUTH_SIGNING_KEY: signingKey.replaceAll('\n', '\\n'),
      AUTH_SIGNING_KID: 'k-2026',
      AUTH_VERIFICATION_KEYS: pem('ed25519'), // the retiring key, still published
      AUTH_CLIENTS: JSON.stringify({
        ops: { secret_sha256: sha256hex(OPS_SECRET), scopes: ['config:write'] },
      }),
      LOG_LEVEL: 'warn',
    })
    try {
      await waitReady(port, proc)
      const ready = (await (await fetch(`${base}/readyz`)).json()) as object
      expect(ready).toEqual({ status: 'ready', configs: { auth: 1, features: 1, ratelimits: 1 } })

      const res = await fetch(`${base}/v1/auth/guest`, { method: 'POST' })
      expect(res.status, proc.output()).toBe(201)
      expect(res.headers.get('ratelimit-policy')).toBe('"guest-signin";q=30;w=60')
      const body = (await res.json()) as { access_token: string; user: { id: string } }

      const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string; alg: string; d?: string }[]
      }
      expect(jwks.keys.map((k) => [k.kid, k.alg])).toEqual([
        ['k-2026', 'ES256'],
        [expect.any(String), 'EdDSA'],
      ])
      expect(jwks.keys.some((k) => 'd' in k)).toBe(false)
      // Another function's verifier, fetching this JWKS over HTTP, accepts the token.
      const remote = await createVerifier({
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        jwks: `${base}/.well-known/jwks.json`,
      })
      expect(await remote.verify(body.access_token)).toMatchObject({ userId: body.user.id })

      const machine = await fetch(`${base}/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: 'ops',
          client_secret: OPS_SECRET,
          scope: 'config:write',
        }),
      })
      expect(machine.status, proc.output()).toBe(200)
      expect(proc.output()).not.toContain(OPS_SECRET)
    } finally {
      proc.child.kill('SIGTERM')
    }
    expect(await proc.exited, proc.output()).toBe(0)
  })

  it('exits 1 with one line naming each missing or bad variable', async () => {
    const proc = startProcess('functions/auth/main.ts', {
      DATABASE_URL: 'mysql://nope',
      AUTH_CLIENTS: '{"ops":',
    })
    expect(await proc.exited).toBe(1)
    const text = proc.output()
    for (const name of [
      'DATABASE_URL',
      'AUTH_ISSUER',
      'AUTH_AUDIENCE',
      'AUTH_SIGNING_KEY',
      'AUTH_CLIENTS',
    ]) {
      expect(text).toMatch(new RegExp(`^${name}: `, 'm'))
    }
    // Not needed by the auth function: it holds the keys and pages nothing.
    expect(text).not.toMatch(/AUTH_JWKS_URL|CURSOR_SECRET/)
    expect(text).not.toContain('mysql://nope')
  })

  it('exits 1 naming the variable when the key does not load, without quoting it', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString()
    const proc = startProcess('functions/auth/main.ts', {
      DATABASE_URL: db.url('tenantry_app'),
      AUTH_ISSUER: TEST_ISSUER,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      AUTH_SIGNING_KEY: rsa,
    })
    expect(await proc.exited).toBe(1)
    expect(proc.output()).toMatch(
      /^AUTH_SIGNING_KEY: signing key: must be an Ed25519 or a P-256 key$/m,
    )
    expect(proc.output()).not.toContain('PRIVATE KEY')
  })
})
