import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
  randomUUID,
} from 'node:crypto'
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose'

/**
 * Signing keys of the auth function (DESIGN.md §3). Only the auth function holds a
 * private key; every other function verifies with the public JWKS built here. Several
 * keys can be live at once for rotation: one active signing key plus public-only keys
 * that still verify tokens signed before the switch.
 *
 * Key material comes from configuration as a PKCS#8 PEM or a JWK string. Error messages
 * never quote the material: it is a secret and would end up in boot logs.
 */

/** The only algorithms we sign or accept (RFC 8725 §3.1: an explicit allowlist). */
export const ALGORITHMS = ['EdDSA', 'ES256'] as const
export type SigningAlg = (typeof ALGORITHMS)[number]

/** The key type each algorithm needs, so an EdDSA header can never select a P-256 key. */
const KEY_TYPES: Record<SigningAlg, { kty: string; crv: string }> = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  ES256: { kty: 'EC', crv: 'P-256' },
}

/** A public JWK as published in the JWKS: public members plus kid, alg and use. */
export interface PublicJwk extends JWK {
  kty: string
  kid: string
  alg: SigningAlg
  use: 'sig'
}

export interface VerificationKey {
  readonly kid: string
  readonly alg: SigningAlg
  readonly publicJwk: PublicJwk
}

export interface SigningKey extends VerificationKey {
  /** Not extractable: nothing in the process can export it again. */
  readonly privateKey: CryptoKey
}

export interface KeyOptions {
  /** Overrides nothing: when the JWK carries one too, they must agree. */
  kid?: string
  alg?: SigningAlg
}

export function isSigningAlg(value: unknown): value is SigningAlg {
  return typeof value === 'string' && (ALGORITHMS as readonly string[]).includes(value)
}

/** The algorithm a key is for, if it is one we support: Ed25519 → EdDSA, P-256 → ES256. */
export function algForJwk(jwk: { kty?: unknown; crv?: unknown }): SigningAlg | undefined {
  return ALGORITHMS.find((alg) => KEY_TYPES[alg].kty === jwk.kty && KEY_TYPES[alg].crv === jwk.crv)
}

/** Only the members that describe the public key (RFC 7517/7518): never `d`. */
export function publicMembers(jwk: JWK): JWK {
  const { kty, crv, x, y } = jwk
  return y === undefined ? { kty, crv, x } : { kty, crv, x, y }
}

/** A PKCS#8 PEM or a private JWK (JSON) → the active signing key. */
export async function loadSigningKey(text: string, options: KeyOptions = {}): Promise<SigningKey> {
  const { keyObject, declared } = parseKeyMaterial(text, 'signing key')
  if (keyObject.type !== 'private') throw new Error('signing key: must be a private key')
  const privateJwk = keyObject.export({ format: 'jwk' }) as JWK
  const publicJwk = await describe(privateJwk, declared, options, 'signing key')
  checkPair(keyObject, publicJwk)
  const privateKey = await importJWK(privateJwk, publicJwk.alg, { extractable: false })
  return { kid: publicJwk.kid, alg: publicJwk.alg, publicJwk, privateKey: privateKey as CryptoKey }
}

/**
 * One public verification key: a public or private JWK, or an SPKI or PKCS#8 PEM. A
 * private key is accepted (the retired signing key can be pasted as is) but only its
 * public members are kept.
 */
export async function loadVerificationKey(
  text: string,
  options: KeyOptions = {},
): Promise<VerificationKey> {
  const { keyObject, declared } = parseKeyMaterial(text, 'verification key')
  const publicKey = keyObject.type === 'private' ? createPublicKey(keyObject) : keyObject
  const jwk = publicKey.export({ format: 'jwk' }) as JWK
  const publicJwk = await describe(jwk, declared, options, 'verification key')
  return { kid: publicJwk.kid, alg: publicJwk.alg, publicJwk }
}

/** A JWKS (`{ "keys": [...] }`), or a single key as `loadVerificationKey` takes it. */
export async function loadVerificationKeys(text: string): Promise<VerificationKey[]> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return [await loadVerificationKey(text)]
  }
  if (parsed === null || typeof parsed !== 'object' || !('keys' in parsed)) {
    return [await loadVerificationKey(text)]
  }
  if (!Array.isArray(parsed.keys)) throw new Error('verification keys: "keys" must be an array')
  return Promise.all(parsed.keys.map((key) => loadVerificationKey(JSON.stringify(key))))
}

export interface KeySet {
  readonly signing: SigningKey
  /** Every key a token may be verified with: the signing key first, then the others. */
  readonly verification: readonly VerificationKey[]
  /** The document for `GET /.well-known/jwks.json`: public members only. */
  publicJwks(): { keys: PublicJwk[] }
}

export function createKeySet(signing: SigningKey, others: readonly VerificationKey[] = []): KeySet {
  const verification: VerificationKey[] = [signing]
  for (const key of others) {
    const same = verification.find((known) => known.kid === key.kid)
    if (same === undefined) verification.push(key)
    // The verifier picks the key by kid alone, so one kid must never name two keys.
    else if (!sameKey(same, key)) throw new Error(`verification keys: duplicate kid "${key.kid}"`)
  }
  return {
    signing,
    verification,
    publicJwks: () => ({ keys: verification.map((key) => ({ ...key.publicJwk })) }),
  }
}

export interface KeySetConfig {
  /** PKCS#8 PEM or private JWK. */
  signingKey: string
  signingKid?: string
  signingAlg?: SigningAlg
  /** Extra public keys still accepted (rotation): a JWKS, a JWK or a PEM. */
  verificationKeys?: string
}

export async function loadKeySet(config: KeySetConfig): Promise<KeySet> {
  const signing = await loadSigningKey(config.signingKey, {
    kid: config.signingKid,
    alg: config.signingAlg,
  })
  const others = config.verificationKeys ? await loadVerificationKeys(config.verificationKeys) : []
  return createKeySet(signing, others)
}

export const DEV_KEY_FILE = 'auth-dev-signing-key.jwk.json'

/**
 * The embedded default's key: an Ed25519 key generated on the first start and kept in
 * `dir` (mode 0600), so tokens survive a restart. Never for production: the key sits
 * unencrypted on disk.
 */
export async function loadOrCreateDevKey(dir: string): Promise<SigningKey> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, DEV_KEY_FILE)
  try {
    const text = await readFile(file, 'utf8')
    await chmod(file, 0o600) // in case someone loosened it; the file holds a private key
    return await loadSigningKey(text)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const jwk = await exportJWK(privateKey)
  const kid = await calculateJwkThumbprint(publicMembers(jwk))
  const text = `${JSON.stringify({ ...jwk, kid, alg: 'EdDSA', use: 'sig' }, null, 2)}\n`
  // Written aside and linked into place: link fails if another process won the race, and
  // nobody ever reads a half-written file. Then both use whichever key landed.
  const temp = `${file}.${randomUUID()}.tmp`
  await writeFile(temp, text, { mode: 0o600, flag: 'wx' })
  try {
    await link(temp, file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  } finally {
    await unlink(temp)
  }
  return loadSigningKey(await readFile(file, 'utf8'))
}

function sameKey(a: VerificationKey, b: VerificationKey): boolean {
  const [x, y] = [a.publicJwk, b.publicJwk]
  return x.kty === y.kty && x.crv === y.crv && x.x === y.x && x.y === y.y
}

interface Declared {
  kid?: unknown
  alg?: unknown
  use?: unknown
}

function parseKeyMaterial(
  text: string,
  what: string,
): { keyObject: KeyObject; declared: Declared } {
  const trimmed = text.trim()
  try {
    if (trimmed.startsWith('-----BEGIN ')) {
      const keyObject = trimmed.includes('PRIVATE KEY-----')
        ? createPrivateKey({ key: trimmed, format: 'pem' })
        : createPublicKey({ key: trimmed, format: 'pem' })
      return { keyObject, declared: {} }
    }
  } catch {
    throw new Error(`${what}: the PEM could not be read`)
  }
  let jwk: JWK
  try {
    jwk = JSON.parse(trimmed) as JWK
  } catch {
    throw new Error(`${what}: neither a PEM nor a JWK (JSON)`)
  }
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) {
    throw new Error(`${what}: the JWK must be a JSON object`)
  }
  try {
    const keyObject =
      jwk.d === undefined
        ? createPublicKey({ key: jwk, format: 'jwk' })
        : createPrivateKey({ key: jwk, format: 'jwk' })
    return { keyObject, declared: { kid: jwk.kid, alg: jwk.alg, use: jwk.use } }
  } catch {
    throw new Error(`${what}: the JWK could not be read`)
  }
}

/** Checks the key against the allowlist and what was declared, and names it. */
async function describe(
  jwk: JWK,
  declared: Declared,
  options: KeyOptions,
  what: string,
): Promise<PublicJwk> {
  const alg = algForJwk(jwk)
  if (alg === undefined) throw new Error(`${what}: must be an Ed25519 or a P-256 key`)
  for (const wanted of [declared.alg, options.alg]) {
    if (wanted !== undefined && wanted !== alg) {
      throw new Error(`${what}: alg must be ${alg} for this key type`)
    }
  }
  if (declared.use !== undefined && declared.use !== 'sig') {
    throw new Error(`${what}: "use" must be "sig"`)
  }
  if (declared.kid !== undefined && options.kid !== undefined && declared.kid !== options.kid) {
    throw new Error(`${what}: the configured kid differs from the JWK's kid`)
  }
  const publicJwk = publicMembers(jwk)
  // RFC 7638 thumbprint by default: stable for the key, so every replica agrees on it.
  const kid = options.kid ?? declared.kid ?? (await calculateJwkThumbprint(publicJwk))
  if (typeof kid !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(kid)) {
    throw new Error(`${what}: kid must be 1–128 printable ASCII characters`)
  }
  return { ...publicJwk, kty: KEY_TYPES[alg].kty, kid, alg, use: 'sig' }
}

/**
 * Signs and verifies a probe, so a JWK whose public members do not belong to its `d`
 * fails at boot instead of producing tokens that no verifier accepts.
 */
function checkPair(privateKey: KeyObject, publicJwk: PublicJwk): void {
  const publicKey = createPublicKey({ key: publicMembers(publicJwk), format: 'jwk' })
  const probe = Buffer.from('tenantry key check')
  const digest = publicJwk.alg === 'ES256' ? 'sha256' : null
  const signature = nodeSign(digest, probe, privateKey)
  if (!nodeVerify(digest, probe, publicKey, signature)) {
    throw new Error('signing key: its public part does not match its private part')
  }
}
