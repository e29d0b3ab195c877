import { createHmac, generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { requireScope, requireUser } from '#shared/http/authenticate.ts'
import { TokenError } from './errors.ts'
import { createKeySet, loadSigningKey, type SigningKey } from './keys.ts'
import { issueAccessToken, type TokenSubject } from './tokens.ts'
import { type AccessTokenVerifier, createVerifier, type Principal } from './verifier.ts'

/**
 * The shared verifier against RFC 8725's list. Every refusal case forges a token that
 * differs from a valid one in exactly one place, and first shows that the valid one
 * passes: so each case fails if its check is removed, not because the forgery is broken.
 */

const ISSUER = 'https://auth.tenantry.test'
const AUDIENCE = 'tenantry-api'
const USER_ID = '7b0d6f0e-3a8b-4c1e-9d2f-1a2b3c4d5e6f'
const LIFETIME = 900

function pkcs8(type: 'ed25519' | 'ec'): string {
  const pair =
    type === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
}

function jwkText(type: 'ed25519' | 'ec'): string {
  const pair =
    type === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return JSON.stringify(pair.privateKey.export({ format: 'jwk' }))
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const now = () => Math.floor(Date.now() / 1000)

interface Forgery {
  header?: Record<string, unknown>
  /** Merged over valid claims; `undefined` removes a claim. */
  claims?: Record<string, unknown>
}

/** A compact JWS signed with `key`'s private key, valid unless the overrides say otherwise. */
async function forge(key: SigningKey, { header = {}, claims = {} }: Forgery = {}) {
  const h = { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header }
  const t = now()
  const payload = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: USER_ID,
    handle: 'guest-1234',
    iat: t,
    exp: t + LIFETIME,
    jti: 'f1c9a3e2',
    ...claims,
  }
  const input = `${b64(h)}.${b64(payload)}`
  const algorithm = key.alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' }
  const signature = await crypto.subtle.sign(algorithm, key.privateKey, Buffer.from(input))
  return `${input}.${Buffer.from(signature).toString('base64url')}`
}

let ed: SigningKey
let es: SigningKey
let stranger: SigningKey
let verifier: AccessTokenVerifier

beforeAll(async () => {
  ed = await loadSigningKey(pkcs8('ed25519'))
  es = await loadSigningKey(jwkText('ec'))
  stranger = await loadSigningKey(pkcs8('ed25519'))
  const keys = createKeySet(ed, [es])
  verifier = await createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: keys.publicJwks() })
})

/** Verifies and expects TOKEN_INVALID (401 over HTTP), with a detail that does not quote the token. */
async function expectRefused(token: string | undefined, v = verifier): Promise<TokenError> {
  const error = await v.verify(token).then(
    (principal) => {
      throw new Error(`accepted: ${JSON.stringify(principal)}`)
    },
    (e: unknown) => e,
  )
  expect(error, String(error)).toBeInstanceOf(TokenError)
  const apiError = error as TokenError
  expect(apiError.code).toBe('TOKEN_INVALID')
  expect(apiError.message).toBeTruthy()
  for (const part of (token ?? '').split('.').filter((p) => p.length > 8)) {
    expect(apiError.message).not.toContain(part)
  }
  return apiError
}

describe('round trip', () => {
  const user: TokenSubject = { kind: 'user', userId: USER_ID, handle: 'guest-0042' }
  const client: TokenSubject = {
    kind: 'client',
    clientId: 'config-admin',
    scopes: ['config:read', 'config:write'],
  }
  const cases = [
    ['EdDSA', 'user'],
    ['EdDSA', 'client'],
    ['ES256', 'user'],
    ['ES256', 'client'],
  ] as const

  it.each(cases)('%s %s token: issued, verified, principal typed', async (alg, kind) => {
    const key = alg === 'EdDSA' ? ed : es
    const issued = await issueAccessToken(key, kind === 'user' ? user : client, {
      issuer: ISSUER,
      audience: AUDIENCE,
      lifetimeSeconds: LIFETIME,
    })
    const [header, payload] = issued.token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()))
    expect(header).toEqual({ alg, kid: key.kid, typ: 'at+jwt' })
    expect(payload.exp - payload.iat).toBe(LIFETIME)
    expect(issued.expiresIn).toBe(LIFETIME)
    expect(payload.jti).toBe(issued.tokenId)

    const principal = await verifier.verify(issued.token)
    const facts = { tokenId: issued.tokenId, expiresAt: payload.exp }
    if (kind === 'user') {
      expect(payload).not.toHaveProperty('scope')
      expect(principal).toEqual({ kind, userId: USER_ID, handle: 'guest-0042', ...facts })
    } else {
      expect(payload).not.toHaveProperty('handle')
      expect(payload.scope).toBe('config:read config:write')
      const scopes = ['config:read', 'config:write']
      expect(principal).toEqual({ kind, clientId: 'config-admin', scopes, ...facts })
    }
  })

  it('gives every token its own jti', async () => {
    const options = { issuer: ISSUER, audience: AUDIENCE, lifetimeSeconds: LIFETIME }
    const a = await issueAccessToken(ed, user, options)
    const b = await issueAccessToken(ed, user, options)
    expect(a.tokenId).not.toBe(b.tokenId)
  })

  it('reads the Authorization header: Bearer (any case) only', async () => {
    const { token } = await issueAccessToken(ed, user, {
      issuer: ISSUER,
      audience: AUDIENCE,
      lifetimeSeconds: LIFETIME,
    })
    expect((await verifier.verifyAuthorization(`Bearer ${token}`)).kind).toBe('user')
    expect((await verifier.verifyAuthorization(`bearer ${token}`)).kind).toBe('user')
    for (const header of [undefined, '', token, `Basic ${token}`, `Bearer ${token} extra`]) {
      const error = await verifier.verifyAuthorization(header).catch((e: TokenError) => e)
      expect(error).toBeInstanceOf(TokenError)
      expect((error as TokenError).code).toBe('TOKEN_INVALID')
    }
  })
})

describe('refused', () => {
  it('the baseline forgery is accepted (so the cases below fail for their one change)', async () => {
    expect((await verifier.verify(await forge(ed))).kind).toBe('user')
    expect((await verifier.verify(await forge(es))).kind).toBe('user')
  })

  it('no token, or garbage', async () => {
    for (const token of [undefined, '', 'garbage', 'a.b.c', `${'x'.repeat(9000)}.y.z`]) {
      await expectRefused(token)
    }
    const valid = await forge(ed)
    await expectRefused(`${valid}x`)
    await expectRefused(valid.split('.').slice(0, 2).join('.'))
  })

  const t = now()
  const cases: [string, Forgery][] = [
    ['expired beyond the tolerance', { claims: { iat: t - 1000, exp: t - 31 } }],
    ['iat in the future beyond the tolerance', { claims: { iat: t + 120, exp: t + 1000 } }],
    ['nbf in the future beyond the tolerance', { claims: { nbf: t + 120 } }],
    ['wrong aud', { claims: { aud: 'someone-else' } }],
    ['wrong iss', { claims: { iss: 'https://evil.test' } }],
    ['typ JWT', { header: { typ: 'JWT' } }],
    ['no typ', { header: { typ: undefined } }],
    ['missing sub', { claims: { sub: undefined } }],
    ['empty sub', { claims: { sub: '' } }],
    ['missing iss', { claims: { iss: undefined } }],
    ['missing aud', { claims: { aud: undefined } }],
    ['missing exp', { claims: { exp: undefined } }],
    ['missing iat', { claims: { iat: undefined } }],
    ['missing jti', { claims: { jti: undefined } }],
    ['exp not a number', { claims: { exp: String(t + 900) } }],
    ['both handle and scope', { claims: { scope: 'config:write' } }],
    ['neither handle nor scope', { claims: { handle: undefined } }],
    ['unknown kid (signed by a known key)', { header: { kid: 'no-such-key' } }],
    ['no kid', { header: { kid: undefined } }],
    ['crit header', { header: { crit: ['exp'] } }],
    ['b64 header', { header: { b64: false, crit: ['b64'] } }],
  ]

  it.each(cases)('%s', async (_name, forgery) => {
    expect(await verifier.verify(await forge(ed))).toMatchObject({ userId: USER_ID })
    await expectRefused(await forge(ed, forgery))
  })

  it('accepts clock skew within the tolerance (so the cases above test the limit)', async () => {
    const s = now()
    await verifier.verify(await forge(ed, { claims: { iat: s - 1000, exp: s - 20 } }))
    await verifier.verify(await forge(ed, { claims: { iat: s + 20, exp: s + 900 } }))
  })

  it('a guest token with a scope claim is refused, not treated as a machine token', async () => {
    const error = await expectRefused(await forge(ed, { claims: { scope: 'config:write' } }))
    expect(error.detail).toMatch(/both/)
  })

  it('signed by an unknown key: same kid, and its own kid', async () => {
    await expectRefused(await forge(stranger, { header: { kid: ed.kid } }))
    await expectRefused(await forge(stranger))
  })

  it('a P-256 signature under an Ed25519 kid (alg swapped)', async () => {
    const error = await expectRefused(await forge(es, { header: { kid: ed.kid } }))
    // Refused at key selection, before jose is handed a key of the wrong type.
    expect(error.detail).toMatch(/known key/)
  })

  it('alg none', async () => {
    const payload = (await forge(ed)).split('.')[1]
    for (const alg of ['none', 'None', 'NONE']) {
      const header = b64({ alg, kid: ed.kid, typ: 'at+jwt' })
      await expectRefused(`${header}.${payload}.`)
      await expectRefused(`${header}.${payload}`)
    }
  })

  it('HS256/384/512 with the public key as the HMAC secret (key confusion)', async () => {
    const payload = (await forge(ed)).split('.')[1]
    const { createPublicKey } = await import('node:crypto')
    const publicKey = createPublicKey({ key: { ...ed.publicJwk }, format: 'jwk' })
    const secrets = [
      publicKey.export({ type: 'spki', format: 'pem' }),
      publicKey.export({ type: 'spki', format: 'der' }),
      JSON.stringify(ed.publicJwk),
      Buffer.from(ed.publicJwk.x as string, 'base64url'),
    ]
    for (const [alg, hash] of [
      ['HS256', 'sha256'],
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ]) {
      for (const secret of secrets) {
        const input = `${b64({ alg, kid: ed.kid, typ: 'at+jwt' })}.${payload}`
        const mac = createHmac(hash as string, secret)
          .update(input)
          .digest('base64url')
        const error = await expectRefused(`${input}.${mac}`)
        expect(error.detail).toMatch(/algorithm/)
      }
    }
  })

  it('RS256 is not on the allowlist either', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const payload = (await forge(ed)).split('.')[1]
    const input = `${b64({ alg: 'RS256', kid: ed.kid, typ: 'at+jwt' })}.${payload}`
    const { sign } = await import('node:crypto')
    const signature = sign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')
    await expectRefused(`${input}.${signature}`)
  })
})

describe('key-locating headers are never followed', () => {
  let server: Server
  let requests = 0
  let base = ''
  let attackerJwks: unknown

  beforeAll(async () => {
    attackerJwks = { keys: [{ ...stranger.publicJwk, kid: 'attacker' }] }
    server = createServer((_req, res) => {
      requests += 1
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(attackerJwks))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
  afterEach(() => vi.restoreAllMocks())

  it('jku / x5u / jwk / x5c: refused, and nothing is fetched', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch')
    // The server does answer: a verifier that followed jku would get the attacker's key.
    const probe = await fetch(`${base}/probe`)
    expect(await probe.json()).toEqual(attackerJwks)
    expect(requests).toBe(1)
    fetchSpy.mockClear()

    const attackerJwk = { ...stranger.publicJwk, kid: 'attacker' }
    const headers: Record<string, unknown>[] = [
      { kid: 'attacker', jku: `${base}/jwks.json` },
      { kid: ed.kid, jku: `${base}/jwks.json` },
      { kid: 'attacker', x5u: `${base}/cert.pem` },
      { kid: 'attacker', jwk: attackerJwk },
      { kid: ed.kid, jwk: attackerJwk },
      { kid: 'attacker', x5c: ['MIIBIjANBg'] },
    ]
    for (const header of headers) await expectRefused(await forge(stranger, { header }))
    // Signed by the real key too: a header we never set means the token is not ours.
    await expectRefused(await forge(ed, { header: { jku: `${base}/jwks.json` } }))
    expect(requests).toBe(1)
    expect(fetchSpy).not.toHaveBeenCalled()
  })
})

describe('rotation', () => {
  it("an old key's tokens verify while it is listed, and not after", async () => {
    const oldKey = await loadSigningKey(jwkText('ed25519'))
    const newKey = await loadSigningKey(pkcs8('ec'))
    const subject: TokenSubject = { kind: 'user', userId: USER_ID, handle: 'guest-7' }
    const options = { issuer: ISSUER, audience: AUDIENCE, lifetimeSeconds: LIFETIME }
    const oldToken = (await issueAccessToken(oldKey, subject, options)).token
    const newToken = (await issueAccessToken(newKey, subject, options)).token

    // Rotated: the new key signs, the old one is published for verification only.
    const rotated = createKeySet(newKey, [oldKey])
    expect(rotated.signing.kid).toBe(newKey.kid)
    const during = await createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: rotated.publicJwks(),
    })
    expect((await during.verify(oldToken)).kind).toBe('user')
    expect((await during.verify(newToken)).kind).toBe('user')

    // Retired.
    const after = await createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: createKeySet(newKey).publicJwks(),
    })
    expect((await after.verify(newToken)).kind).toBe('user')
    await expectRefused(oldToken, after)
  })
})

describe('configured key set', () => {
  const options = { issuer: ISSUER, audience: AUDIENCE }

  it('refuses a JWKS holding private members', async () => {
    const privateJwk = JSON.parse(jwkText('ed25519'))
    const jwks = { keys: [{ ...privateJwk, kid: 'k1', alg: 'EdDSA' }] }
    await expect(createVerifier({ ...options, jwks })).rejects.toThrow(/private/)
    const { d: _d, ...publicJwk } = jwks.keys[0]
    await expect(createVerifier({ ...options, jwks: { keys: [publicJwk] } })).resolves.toBeTruthy()
  })

  it('refuses a JWKS without a usable key, or with one kid twice', async () => {
    await expect(createVerifier({ ...options, jwks: { keys: [] } })).rejects.toThrow(/usable/)
    const twice = { keys: [ed.publicJwk, { ...stranger.publicJwk, kid: ed.kid }] }
    await expect(createVerifier({ ...options, jwks: twice })).rejects.toThrow(/twice/)
    const mismatched = { keys: [{ ...ed.publicJwk, alg: 'ES256' }] }
    await expect(createVerifier({ ...options, jwks: mismatched })).rejects.toThrow(/alg/)
  })
})

describe('requireScope / requireUser', () => {
  const facts = { tokenId: 'j', expiresAt: now() + 60 }
  const user: Principal = { kind: 'user', userId: USER_ID, handle: 'guest-1', ...facts }
  const client: Principal = {
    kind: 'client',
    clientId: 'ops',
    scopes: ['config:read'],
    ...facts,
  }

  function code(fn: () => void): string | undefined {
    try {
      fn()
      return undefined
    } catch (error) {
      return (error as { code: string }).code
    }
  }

  it('requireScope: 403 for a guest token and for a missing scope', () => {
    expect(code(() => requireScope(client, 'config:read'))).toBeUndefined()
    expect(code(() => requireScope(client, 'config:write'))).toBe('FORBIDDEN')
    expect(code(() => requireScope(user, 'config:read'))).toBe('FORBIDDEN')
    // A scope is matched whole, not as a prefix of another.
    expect(code(() => requireScope(client, 'config'))).toBe('FORBIDDEN')
  })

  it('requireUser: 403 for a machine token', () => {
    expect(code(() => requireUser(user))).toBeUndefined()
    expect(code(() => requireUser(client))).toBe('FORBIDDEN')
  })

  it('a guest token with a smuggled scope never reaches requireScope', async () => {
    await expectRefused(await forge(ed, { claims: { scope: 'config:write' } }))
    const guest = await verifier.verify(await forge(ed))
    expect(code(() => requireScope(guest, 'config:write'))).toBe('FORBIDDEN')
  })
})
