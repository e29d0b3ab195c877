import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { TokenError } from './errors.ts'
import { createKeySet, loadSigningKey, type PublicJwk, type SigningKey } from './keys.ts'
import { issueAccessToken } from './tokens.ts'
import { createVerifier, type VerifierOptions } from './verifier.ts'

/**
 * The remote key set: the auth function's /.well-known/jwks.json served from a local
 * node:http server, counting every request, so caching and the cooldown are measured.
 */

const ISSUER = 'https://auth.tenantry.test'
const AUDIENCE = 'tenantry-api'

let server: Server
let url = ''
/** What the server does next: serve these keys, fail, redirect, leak or flood. */
let serving: { keys: PublicJwk[] } | 'fail' | 'redirect' | 'private' | 'huge' | 'hang' = {
  keys: [],
}
const hits: string[] = []

let current: SigningKey
let next: SigningKey
let stranger: SigningKey

beforeAll(async () => {
  const pem = () =>
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
  current = await loadSigningKey(pem())
  next = await loadSigningKey(pem())
  stranger = await loadSigningKey(pem())
  server = createServer((req, res) => {
    hits.push(req.url ?? '')
    if (serving === 'fail') {
      res.statusCode = 500
      res.end('down')
    } else if (serving === 'redirect' && req.url === '/.well-known/jwks.json') {
      res.writeHead(302, { location: '/elsewhere.json' }).end()
    } else if (serving === 'hang') {
      res.flushHeaders() // headers, then silence
    } else if (serving === 'huge') {
      // Valid keys, then padding past the 1 MiB a key set may take.
      const keys = createKeySet(current).publicJwks().keys
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ keys, padding: 'x'.repeat(1024 * 1024) }))
    } else if (serving === 'private') {
      const privateJwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ keys: [{ ...privateJwk, kid: 'leaked', alg: 'EdDSA' }] }))
    } else {
      res.setHeader('content-type', 'application/jwk-set+json')
      res.end(
        JSON.stringify(serving === 'redirect' ? createKeySet(stranger).publicJwks() : serving),
      )
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

beforeEach(() => {
  hits.length = 0
  serving = createKeySet(current).publicJwks()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function remote(remoteOptions: VerifierOptions['remote'] = {}) {
  return createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: url, remote: remoteOptions })
}

async function token(key: SigningKey, handle = 'guest-1') {
  const subject = { kind: 'user', userId: 'u-1', handle } as const
  const options = { issuer: ISSUER, audience: AUDIENCE, lifetimeSeconds: 900 }
  return (await issueAccessToken(key, subject, options)).token
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => 'accepted',
    (e: unknown) => (e instanceof TokenError ? e.code : String(e)),
  )
  return error
}

describe('remote JWKS', () => {
  it('fetches once for many verifications, concurrent first use included', async () => {
    const verifier = await remote({ cacheMaxAgeMs: 60_000, cooldownMs: 60_000 })
    expect(hits).toHaveLength(0) // lazily, on first use
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => token(current, `g-${i}`)))
    const principals = await Promise.all(tokens.map((t) => verifier.verify(t)))
    expect(principals.map((p) => p.kind === 'user' && p.handle)).toEqual(
      tokens.map((_, i) => `g-${i}`),
    )
    for (const t of tokens) await verifier.verify(t)
    expect(hits).toEqual(['/.well-known/jwks.json'])
  })

  it('unknown kids cause no fetch storm: at most one fetch per cooldown', async () => {
    const verifier = await remote({ cacheMaxAgeMs: 60_000, cooldownMs: 1000 })
    await verifier.verify(await token(current))
    expect(hits).toHaveLength(1)

    const forged = await token(stranger)
    const burst = await Promise.all(
      Array.from({ length: 50 }, () => codeOf(verifier.verify(forged))),
    )
    expect(new Set(burst)).toEqual(new Set(['TOKEN_INVALID']))
    for (let i = 0; i < 20; i++) expect(await codeOf(verifier.verify(forged))).toBe('TOKEN_INVALID')
    expect(hits).toHaveLength(1) // still inside the cooldown of the first fetch

    await sleep(1050)
    const later = await Promise.all(
      Array.from({ length: 50 }, () => codeOf(verifier.verify(forged))),
    )
    expect(new Set(later)).toEqual(new Set(['TOKEN_INVALID']))
    expect(hits).toHaveLength(2) // one refetch for the whole burst
  })

  it('rotation: a newly published kid is picked up by one refetch after the cooldown', async () => {
    const verifier = await remote({ cacheMaxAgeMs: 60_000, cooldownMs: 600 })
    await verifier.verify(await token(current))
    const fresh = await token(next)
    expect(await codeOf(verifier.verify(fresh))).toBe('TOKEN_INVALID') // not published yet

    serving = createKeySet(next, [current]).publicJwks()
    await sleep(650)
    expect((await verifier.verify(fresh)).kind).toBe('user')
    expect((await verifier.verify(await token(current))).kind).toBe('user')
    expect(hits).toHaveLength(2)
  })

  it('refreshes a stale set in the background, removing retired keys', async () => {
    const verifier = await remote({ cacheMaxAgeMs: 100, cooldownMs: 100 })
    const old = await token(current)
    await verifier.verify(old)
    serving = createKeySet(next).publicJwks() // `current` retired
    await sleep(150)
    // Stale: answered from the cached set at once (it still lists `current`), while the
    // refresh runs; then the refreshed set no longer accepts the retired key.
    expect((await verifier.verify(old)).kind).toBe('user')
    await vi.waitFor(async () => expect(await codeOf(verifier.verify(old))).toBe('TOKEN_INVALID'))
    expect((await verifier.verify(await token(next))).kind).toBe('user')
    expect(hits.length).toBeGreaterThanOrEqual(2)
  })

  it('keeps the last good set while the auth function is down', async () => {
    const errors: unknown[] = []
    const verifier = await remote({
      cacheMaxAgeMs: 50,
      cooldownMs: 0,
      onRefreshError: (error) => errors.push(error),
    })
    const t = await token(current)
    await verifier.verify(t)
    serving = 'fail'
    await sleep(100)
    for (let i = 0; i < 3; i++) {
      expect((await verifier.verify(t)).kind).toBe('user')
      await sleep(20)
    }
    expect(hits.length).toBeGreaterThan(1)
    expect(errors.length).toBeGreaterThan(0)
    await expect(verifier.ready()).resolves.toBeUndefined()
  })

  it('never loaded and unreachable: KEYS_UNAVAILABLE (503 over HTTP) with Retry-After, retried once per cooldown', async () => {
    serving = 'fail'
    const verifier = await remote({ cooldownMs: 30_000 })
    const t = await token(current)
    const results = await Promise.all(
      Array.from({ length: 10 }, () => verifier.verify(t).catch((e: TokenError) => e)),
    )
    for (const error of results) {
      expect(error).toBeInstanceOf(TokenError)
      expect((error as TokenError).code).toBe('KEYS_UNAVAILABLE')
      expect((error as TokenError).retryAfterSeconds).toBe(30)
    }
    expect(await codeOf(verifier.verify(t))).toBe('KEYS_UNAVAILABLE')
    await expect(verifier.ready()).rejects.toThrow()
    expect(hits).toHaveLength(1)
    // A token that is refused anyway stays a 401, whatever the key set's state.
    expect(await codeOf(verifier.verify('garbage'))).toBe('TOKEN_INVALID')
  })

  it('ready() loads the set before the first request', async () => {
    const verifier = await remote({ cooldownMs: 30_000 })
    await verifier.ready()
    expect(hits).toHaveLength(1)
    await verifier.verify(await token(current))
    expect(hits).toHaveLength(1)
  })

  it('does not follow redirects (whoever answers there would choose our keys)', async () => {
    serving = 'redirect'
    const verifier = await remote({ cooldownMs: 30_000 })
    expect(await codeOf(verifier.verify(await token(stranger)))).toBe('KEYS_UNAVAILABLE')
    expect(hits).toEqual(['/.well-known/jwks.json'])
  })

  it('takes only an http(s) URL', async () => {
    const options = { issuer: ISSUER, audience: AUDIENCE }
    for (const jwks of ['ftp://127.0.0.1/jwks.json', 'file:///etc/jwks.json', '{"keys":[]}']) {
      await expect(createVerifier({ ...options, jwks })).rejects.toThrow(/http or https/)
    }
  })

  it('gives up on a set that does not arrive within the timeout', async () => {
    serving = 'hang'
    // Without the timeout this would hang until the test's own limit and fail.
    const verifier = await remote({ cooldownMs: 30_000, timeoutMs: 200 })
    expect(await codeOf(verifier.verify(await token(current)))).toBe('KEYS_UNAVAILABLE')
  })

  it('refuses a key set larger than 1 MiB unread, even with valid keys in it', async () => {
    serving = 'huge'
    const verifier = await remote({ cooldownMs: 30_000 })
    expect(await codeOf(verifier.verify(await token(current)))).toBe('KEYS_UNAVAILABLE')
    expect(hits).toEqual(['/.well-known/jwks.json'])
  })

  it('refuses a published set that holds private keys', async () => {
    serving = 'private'
    const verifier = await remote({ cooldownMs: 30_000 })
    expect(await codeOf(verifier.verify(await token(current)))).toBe('KEYS_UNAVAILABLE')
  })
})
