import { generateKeyPairSync } from 'node:crypto'
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createKeySet,
  DEV_KEY_FILE,
  loadKeySet,
  loadOrCreateDevKey,
  loadSigningKey,
  loadVerificationKey,
  loadVerificationKeys,
} from './keys.ts'
import { issueAccessToken } from './tokens.ts'
import { createVerifier } from './verifier.ts'

/** Loading keys from configuration, the public JWKS, and the embedded default's dev key. */

// RFC 8037 Appendix A.1 (the Ed25519 key) and A.3 (its RFC 7638 thumbprint).
const RFC8037_PRIVATE = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
}
const RFC8037_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use']

function pair(type: 'ed25519' | 'ec') {
  return type === 'ed25519'
    ? generateKeyPairSync('ed25519')
    : generateKeyPairSync('ec', { namedCurve: 'P-256' })
}
const pem = (type: 'ed25519' | 'ec') =>
  pair(type).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
const jwk = (type: 'ed25519' | 'ec') => pair(type).privateKey.export({ format: 'jwk' })

const dirs: string[] = []
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'tenantry-keys-'))
  dirs.push(dir)
  return dir
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

describe('loading a signing key', () => {
  it('a private JWK: alg from the key type, kid = RFC 7638 thumbprint', async () => {
    const key = await loadSigningKey(JSON.stringify(RFC8037_PRIVATE))
    expect(key.alg).toBe('EdDSA')
    expect(key.kid).toBe(RFC8037_THUMBPRINT)
    expect(key.publicJwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: RFC8037_PRIVATE.x,
      kid: RFC8037_THUMBPRINT,
      alg: 'EdDSA',
      use: 'sig',
    })
    expect(key.privateKey.extractable).toBe(false)
  })

  it('PKCS#8 PEM, Ed25519 and P-256', async () => {
    expect((await loadSigningKey(pem('ed25519'))).alg).toBe('EdDSA')
    const es = await loadSigningKey(pem('ec'))
    expect(es.alg).toBe('ES256')
    expect(es.publicJwk.kty).toBe('EC')
    expect(es.publicJwk.y).toBeTruthy()
    expect(es.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('keeps a given kid (from the JWK or the options), refuses two that disagree', async () => {
    const withKid = JSON.stringify({ ...jwk('ec'), kid: 'k-2025' })
    expect((await loadSigningKey(withKid)).kid).toBe('k-2025')
    expect((await loadSigningKey(withKid, { kid: 'k-2025' })).kid).toBe('k-2025')
    expect((await loadSigningKey(pem('ed25519'), { kid: 'from-env' })).kid).toBe('from-env')
    await expect(loadSigningKey(withKid, { kid: 'other' })).rejects.toThrow(/kid/)
    await expect(loadSigningKey(pem('ec'), { kid: 'has space' })).rejects.toThrow(/kid/)
  })

  it('refuses an alg that does not fit the key, and keys of other types', async () => {
    await expect(loadSigningKey(pem('ed25519'), { alg: 'ES256' })).rejects.toThrow(/alg/)
    const declared = JSON.stringify({ ...jwk('ec'), alg: 'EdDSA' })
    await expect(loadSigningKey(declared)).rejects.toThrow(/alg/)
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    await expect(
      loadSigningKey(rsa.export({ type: 'pkcs8', format: 'pem' }) as string),
    ).rejects.toThrow(/Ed25519 or a P-256/)
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
    await expect(loadSigningKey(JSON.stringify(p384.export({ format: 'jwk' })))).rejects.toThrow(
      /Ed25519 or a P-256/,
    )
    const encryption = JSON.stringify({ ...jwk('ed25519'), use: 'enc' })
    await expect(loadSigningKey(encryption)).rejects.toThrow(/use/)
  })

  it('refuses a public key, and an EC JWK whose public part belongs to another key', async () => {
    const { d: _d, ...publicOnly } = jwk('ec')
    await expect(loadSigningKey(JSON.stringify(publicOnly))).rejects.toThrow(/private/)
    const { x, y } = jwk('ec')
    const mixed = JSON.stringify({ ...jwk('ec'), x, y })
    await expect(loadSigningKey(mixed)).rejects.toThrow(/does not match/)
  })

  it('never quotes the key material in its errors', async () => {
    const secret = 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A'
    const inputs = [
      `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----`,
      `{"kty":"OKP","crv":"Ed25519","d":"${secret.slice(1)}"`,
      `{"kty":"OKP","crv":"X25519","d":"${secret}","x":"${secret}"}`,
      secret,
    ]
    for (const input of inputs) {
      const error = await loadSigningKey(input).catch((e: Error) => e)
      expect(error).toBeInstanceOf(Error)
      expect((error as Error).message).not.toContain(secret.slice(1, 20))
    }
  })
})

describe('verification keys and the public JWKS', () => {
  it('a private key given as a verification key keeps only its public members', async () => {
    const key = await loadVerificationKey(JSON.stringify(RFC8037_PRIVATE))
    expect(key.kid).toBe(RFC8037_THUMBPRINT)
    expect(key.publicJwk).not.toHaveProperty('d')
    const spki = pair('ec').publicKey.export({ type: 'spki', format: 'pem' }) as string
    expect((await loadVerificationKey(spki)).alg).toBe('ES256')
  })

  it('a JWKS string with several keys', async () => {
    const a = await loadSigningKey(pem('ed25519'))
    const b = await loadSigningKey(pem('ec'))
    const keys = await loadVerificationKeys(JSON.stringify({ keys: [a.publicJwk, b.publicJwk] }))
    expect(keys.map((key) => key.kid)).toEqual([a.kid, b.kid])
    await expect(loadVerificationKeys('{"keys": 3}')).rejects.toThrow(/array/)
  })

  it('publicJwks: every key with kid, alg, use sig, and no private member', async () => {
    const signing = await loadSigningKey(pem('ed25519'))
    const old = await loadSigningKey(pem('ec'))
    const jwks = createKeySet(signing, [old]).publicJwks()
    expect(jwks.keys.map((key) => key.kid)).toEqual([signing.kid, old.kid])
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kid: expect.any(String), alg: expect.any(String), use: 'sig' })
      expect(key).not.toHaveProperty('d')
      for (const member of Object.keys(key)) expect(PUBLIC_MEMBERS).toContain(member)
    }
    // A copy each time: a caller editing the document cannot change the key set.
    jwks.keys.pop()
    expect(createKeySet(signing, [old]).publicJwks().keys).toHaveLength(2)
  })

  it('one kid never names two keys', async () => {
    const signing = await loadSigningKey(pem('ed25519'), { kid: 'k1' })
    const other = await loadVerificationKey(pem('ed25519'), { kid: 'k1' })
    expect(() => createKeySet(signing, [other])).toThrow(/duplicate kid/)
    // The signing key listed again is fine (a config that lists every live key).
    expect(createKeySet(signing, [signing]).verification).toHaveLength(1)
  })

  it('loadKeySet from configuration strings', async () => {
    const old = await loadSigningKey(pem('ec'))
    const set = await loadKeySet({
      signingKey: pem('ed25519'),
      signingKid: 'current',
      verificationKeys: JSON.stringify({ keys: [old.publicJwk] }),
    })
    expect(set.publicJwks().keys.map((key) => key.kid)).toEqual(['current', old.kid])
  })
})

describe('dev key (embedded default)', () => {
  it('is created once with mode 0600 and reused on the next start', async () => {
    const dir = join(await tempDir(), '.data')
    const first = await loadOrCreateDevKey(dir)
    const file = join(dir, DEV_KEY_FILE)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(first.alg).toBe('EdDSA')
    const stored = JSON.parse(await readFile(file, 'utf8'))
    expect(stored).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: first.kid })
    expect(stored.d).toBeTruthy()

    const second = await loadOrCreateDevKey(dir)
    expect(second.kid).toBe(first.kid)
    // The same key, not only the same name: a token from before the restart verifies.
    const options = { issuer: 'i', audience: 'a', lifetimeSeconds: 60 }
    const subject = { kind: 'user', userId: 'u', handle: 'guest-1' } as const
    const { token } = await issueAccessToken(first, subject, options)
    const verifier = await createVerifier({
      issuer: 'i',
      audience: 'a',
      jwks: createKeySet(second).publicJwks(),
    })
    expect((await verifier.verify(token)).kind).toBe('user')
  })

  it('tightens a loosened file back to 0600', async () => {
    const dir = await tempDir()
    const first = await loadOrCreateDevKey(dir)
    await chmod(join(dir, DEV_KEY_FILE), 0o644)
    expect((await loadOrCreateDevKey(dir)).kid).toBe(first.kid)
    expect((await stat(join(dir, DEV_KEY_FILE))).mode & 0o777).toBe(0o600)
  })

  it('concurrent first starts agree on one key and leave no temp files', async () => {
    const dir = await tempDir()
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateDevKey(dir)))
    expect(new Set(keys.map((key) => key.kid)).size).toBe(1)
    expect(await readdir(dir)).toEqual([DEV_KEY_FILE])
  })
})
