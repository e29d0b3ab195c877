import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { type CryptoKey, importJWK, type JWK } from 'jose'
import { algForJwk, isSigningAlg, publicMembers, type SigningAlg } from './keys.ts'

/**
 * Where the verifier gets its public keys: a JWKS from configuration, or the auth
 * function's `/.well-known/jwks.json` fetched with a cache and a cooldown. Either way a
 * key is looked up by `kid` only; nothing in a token decides where keys come from
 * (RFC 8725 §3.10: `jku`, `x5u`, `jwk`, `x5c` are never used).
 */

export interface KeyEntry {
  readonly alg: SigningAlg
  readonly key: CryptoKey
}

export interface KeySource {
  /** The key with this kid, or undefined when the key set has none. */
  get(kid: string): Promise<KeyEntry | undefined>
  /** Resolves once a key set is loaded (readiness); throws KeySetUnavailable if none. */
  ready(): Promise<void>
}

/** No key set at all: the auth function could not be reached and nothing is cached. */
export class KeySetUnavailable extends Error {
  readonly retryAfterSeconds: number
  constructor(retryAfterSeconds: number) {
    super('the JWKS could not be loaded')
    this.name = 'KeySetUnavailable'
    this.retryAfterSeconds = retryAfterSeconds
  }
}

/** Members that only private or symmetric keys have; a published JWKS must not hold any. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

/**
 * Imports every usable key of a JWKS, by kid. Keys that are not ours to use (another
 * algorithm, `use: enc`, no kid) are skipped; anything dangerous or ambiguous (private
 * members, an alg that does not fit the key type, a kid twice) rejects the whole set.
 */
export async function importJwks(jwks: unknown): Promise<Map<string, KeyEntry>> {
  if (jwks === null || typeof jwks !== 'object' || !Array.isArray((jwks as JWKSet).keys)) {
    throw new Error('JWKS: must be an object with a "keys" array')
  }
  const keys = new Map<string, KeyEntry>()
  for (const jwk of (jwks as JWKSet).keys) {
    if (jwk === null || typeof jwk !== 'object') throw new Error('JWKS: a key is not an object')
    if (SECRET_MEMBERS.some((member) => member in jwk)) {
      throw new Error('JWKS: holds private or secret key members')
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') continue
    if (typeof jwk.kid !== 'string' || jwk.kid === '') continue
    const alg = jwk.alg ?? algForJwk(jwk)
    if (!isSigningAlg(alg)) continue
    if (algForJwk(jwk) !== alg) throw new Error(`JWKS: key "${jwk.kid}" does not fit its alg`)
    if (keys.has(jwk.kid)) throw new Error(`JWKS: kid "${jwk.kid}" appears twice`)
    const key = await importJWK(publicMembers(jwk), alg)
    keys.set(jwk.kid, { alg, key: key as CryptoKey })
  }
  if (keys.size === 0) throw new Error('JWKS: no usable EdDSA or ES256 key with a kid')
  return keys
}

interface JWKSet {
  keys: JWK[]
}

/** A fixed key set from configuration, imported once so a bad one fails at boot. */
export async function localKeySource(jwks: unknown): Promise<KeySource> {
  const keys = await importJwks(jwks)
  return {
    get: async (kid) => keys.get(kid),
    ready: async () => {},
  }
}

export interface RemoteJwksOptions {
  /** How long a fetched set is used before it is refreshed; default 10 min. */
  cacheMaxAgeMs?: number
  /**
   * Minimum time between two fetches, whatever triggers them (unknown kid, stale set,
   * failure); default 30 s. It also bounds how soon a stale set can be refreshed.
   */
  cooldownMs?: number
  /** Per fetch; default 5 s. */
  timeoutMs?: number
  /** Told about failed fetches (the set in use stays); for logging. */
  onRefreshError?: (error: unknown) => void
}

/**
 * The auth function's JWKS over HTTP. Compared with jose's createRemoteJWKSet this keeps
 * serving the last good set when a refresh fails (an auth outage must not log everyone
 * out), refreshes a stale set in the background instead of making requests wait, and
 * applies the cooldown to failed fetches too, so neither unknown kids nor an outage can
 * make every request hit the auth function.
 */
export function remoteKeySource(url: URL | string, options: RemoteJwksOptions = {}): KeySource {
  const target = URL.canParse(String(url)) ? new URL(url) : undefined
  if (target === undefined || !['http:', 'https:'].includes(target.protocol)) {
    throw new Error('JWKS URL: must be http or https')
  }
  const cacheMaxAgeMs = options.cacheMaxAgeMs ?? 600_000
  const cooldownMs = options.cooldownMs ?? 30_000
  const timeoutMs = options.timeoutMs ?? 5_000
  let keys: Map<string, KeyEntry> | undefined
  let fetchedAt = Number.NEGATIVE_INFINITY
  let attemptedAt = Number.NEGATIVE_INFINITY
  let pending: Promise<void> | undefined

  const refresh = (): Promise<void> => {
    if (pending) return pending
    if (Date.now() < attemptedAt + cooldownMs) return Promise.resolve()
    attemptedAt = Date.now()
    pending = fetchJwks(target, timeoutMs)
      .then(importJwks)
      .then((fresh) => {
        keys = fresh
        fetchedAt = Date.now()
      })
      .catch((error: unknown) => options.onRefreshError?.(error))
      .finally(() => {
        pending = undefined
      })
    return pending
  }
  const unavailable = () => new KeySetUnavailable(Math.max(1, Math.ceil(cooldownMs / 1000)))

  return {
    async get(kid) {
      if (keys === undefined) await refresh()
      else if (Date.now() >= fetchedAt + cacheMaxAgeMs) void refresh()
      if (keys === undefined) throw unavailable()
      if (keys.has(kid)) return keys.get(kid)
      // Perhaps a key published since the last fetch (rotation); at most once per cooldown.
      await refresh()
      return keys.get(kid)
    },
    async ready() {
      if (keys === undefined) await refresh()
      if (keys === undefined) throw unavailable()
    },
  }
}

/** A set of a few public keys is a few KiB; anything past this is not ours. */
const MAX_JWKS_BYTES = 1024 * 1024

/**
 * One GET with Node's own HTTP client rather than fetch(). A process's first fetch() sets
 * up undici's client, whose HTTP parser is WebAssembly: 18–26 ms against 8–11 ms for
 * http.get, measured in fresh processes, and the first authenticated request after a
 * cold start waits for it. Redirects are not followed: a redirect would let whoever
 * controls the target choose our keys.
 */
function fetchJwks(url: URL, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        headers: { accept: 'application/jwk-set+json, application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume()
          reject(new Error(`JWKS fetch: HTTP ${response.statusCode}`))
          return
        }
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_JWKS_BYTES) request.destroy(new Error('JWKS fetch: response too large'))
          else chunks.push(chunk)
        })
        response.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
          } catch (error) {
            reject(error)
          }
        })
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    request.end()
  })
}
