import { type CryptoKey, errors, type JWSHeaderParameters, type JWTPayload, jwtVerify } from 'jose'
import { TokenError } from './errors.ts'
import {
  KeySetUnavailable,
  type KeySource,
  localKeySource,
  type RemoteJwksOptions,
  remoteKeySource,
} from './jwks.ts'
import { ALGORITHMS } from './keys.ts'

/**
 * The one access-token verifier every function uses (DESIGN.md §3, RFC 8725):
 * - only EdDSA and ES256 (`none`, HS*, RS* refused before any key is looked up);
 * - `typ` must be `at+jwt`, so no other JWT of ours can pass for an access token;
 * - `iss`, `aud`, `sub`, `iat`, `exp`, `jti` required, with a small clock tolerance;
 * - the key is chosen by `kid` alone from the configured key set. The header may hold
 *   only `alg`, `kid` and `typ`: a token naming its own key (`jwk`, `jku`, `x5u`, `x5c`)
 *   or asking for extensions (`crit`, `b64`) was not made by us and is refused unread.
 * Every refusal is a TokenError TOKEN_INVALID with a short detail that never quotes the
 * token. The only exception: with a remote key set that was never loaded (auth function
 * unreachable), KEYS_UNAVAILABLE — the token may be fine, and a refusal would make
 * clients throw away valid sessions. The HTTP layer maps both (authenticate.ts).
 */

interface TokenFacts {
  /** The `jti`. */
  tokenId: string
  /** The `exp`, in seconds since the epoch (a socket can close when it passes). */
  expiresAt: number
}

export interface UserPrincipal extends TokenFacts {
  kind: 'user'
  userId: string
  handle: string
}

export interface ClientPrincipal extends TokenFacts {
  kind: 'client'
  clientId: string
  scopes: string[]
}

export type Principal = UserPrincipal | ClientPrincipal

export interface VerifierOptions {
  issuer: string
  audience: string
  /** A JWKS object from configuration, or the URL of the auth function's JWKS. */
  jwks: { keys: unknown[] } | URL | string
  /** Cache, cooldown and timeout of a remote JWKS. */
  remote?: RemoteJwksOptions
  /** Allowed clock skew for `exp` and `iat`; default 30 s. */
  clockToleranceSeconds?: number
}

export interface AccessTokenVerifier {
  /** The raw token (without "Bearer "). */
  verify(token: string | undefined): Promise<Principal>
  /** The `Authorization` header value: `Bearer <token>`. */
  verifyAuthorization(header: string | undefined): Promise<Principal>
  /** Resolves when keys are loaded (for /readyz); throws while a remote set is unreachable. */
  ready(): Promise<void>
}

const ALLOWED_HEADER = new Set(['alg', 'kid', 'typ'])
/** Far above any token we issue; refuses megabyte junk before it is parsed. */
const MAX_TOKEN_LENGTH = 8192
/** Verified tokens kept per process (each well under 1 KiB). */
const VERIFIED_CACHE_SIZE = 10_000
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

export async function createVerifier(options: VerifierOptions): Promise<AccessTokenVerifier> {
  const { issuer, audience } = options
  const tolerance = options.clockToleranceSeconds ?? 30
  const source =
    typeof options.jwks === 'string' || options.jwks instanceof URL
      ? remoteKeySource(options.jwks, options.remote)
      : await localKeySource(options.jwks)
  const getKey = keyResolver(source)

  // Tokens already verified: a client sends the same token with every request for up
  // to 15 minutes, and a signature check costs ~200 µs of CPU. An entry is used only
  // before its `exp` and only while its kid still resolves to the very key that
  // verified it, so a retired or replaced key ends its tokens at once, as without it.
  const verified = new Map<string, { principal: Principal; kid: string; key: CryptoKey }>()

  async function verify(token: string | undefined): Promise<Principal> {
    if (typeof token !== 'string' || token === '') throw refused('No access token was given')
    if (token.length > MAX_TOKEN_LENGTH) throw refused('The access token is malformed')
    const known = verified.get(token)
    if (known && known.principal.expiresAt > Date.now() / 1000) {
      const current = await source.get(known.kid).catch(() => undefined)
      if (current?.key === known.key) return known.principal
    }
    verified.delete(token)
    let payload: JWTPayload
    let kid: string | undefined
    let key: CryptoKey | undefined
    try {
      let header: JWSHeaderParameters
      ;({
        payload,
        protectedHeader: header,
        key,
      } = (await jwtVerify(token, getKey, {
        algorithms: [...ALGORITHMS],
        typ: 'at+jwt',
        issuer,
        audience,
        requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti'],
        clockTolerance: tolerance,
      })) as { payload: JWTPayload; protectedHeader: JWSHeaderParameters; key: CryptoKey })
      kid = header.kid
    } catch (error) {
      throw toTokenError(error)
    }
    // jose checks `iat` only against a maximum age; a token from the future is refused
    // here, so a skewed or forged clock cannot mint tokens that live longer than issued.
    if ((payload.iat as number) > Date.now() / 1000 + tolerance) {
      throw refused('The access token is not valid yet')
    }
    const principal = principalFrom(payload)
    if (kid !== undefined && key !== undefined) remember(token, { principal, kid, key })
    return principal
  }

  function remember(token: string, entry: { principal: Principal; kid: string; key: CryptoKey }) {
    if (verified.size >= VERIFIED_CACHE_SIZE) {
      // Oldest first (a Map keeps insertion order): bounded memory, not an LRU.
      for (const old of verified.keys()) {
        verified.delete(old)
        if (verified.size < VERIFIED_CACHE_SIZE / 2) break
      }
    }
    verified.set(token, entry)
  }

  return {
    verify,
    verifyAuthorization: async (header) => {
      if (header === undefined || header === '') return verify(undefined)
      const token = BEARER.exec(header)?.[1]
      if (token === undefined) throw refused('The Authorization header must be "Bearer <token>"')
      return verify(token)
    },
    ready: () => source.ready(),
  }
}

/** A refusal inside key resolution, with the detail to show. */
class Refused extends Error {}

function refused(detail: string): TokenError {
  return new TokenError('TOKEN_INVALID', detail)
}

function keyResolver(source: KeySource) {
  return async (header: JWSHeaderParameters): Promise<CryptoKey> => {
    if (Object.keys(header).some((name) => !ALLOWED_HEADER.has(name))) {
      throw new Refused('The access token header is not accepted')
    }
    if (typeof header.kid !== 'string') throw new Refused('The access token names no key')
    const entry = await source.get(header.kid)
    // Unknown kid, or a kid whose key is for another algorithm: the same answer.
    if (entry === undefined || entry.alg !== header.alg) {
      throw new Refused('The access token was not signed by a known key')
    }
    return entry.key
  }
}

/** jose's errors → one short detail each; nothing from the token is quoted. */
function toTokenError(error: unknown): TokenError {
  if (error instanceof TokenError) return error
  if (error instanceof KeySetUnavailable) {
    return new TokenError(
      'KEYS_UNAVAILABLE',
      'Access tokens cannot be checked right now',
      error.retryAfterSeconds,
    )
  }
  if (error instanceof Refused) return refused(error.message)
  if (error instanceof errors.JWTExpired) return refused('The access token has expired')
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return refused('The access token algorithm is not accepted')
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return refused('The access token signature is not valid')
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    // `claim` is a claim name such as "aud" or "typ", never a value from the token.
    return refused(`The access token's "${error.claim}" is not accepted`)
  }
  return refused('The access token is malformed')
}

/** Exactly one of `handle` (a guest user) and `scope` (a machine client). */
function principalFrom(payload: JWTPayload): Principal {
  const { sub, jti, exp, handle, scope } = payload
  if (typeof sub !== 'string' || sub === '' || sub.length > 255) {
    throw refused('The access token\'s "sub" is not accepted')
  }
  if (typeof jti !== 'string' || jti === '')
    throw refused('The access token\'s "jti" is not accepted')
  const facts = { tokenId: jti, expiresAt: exp as number }
  if (handle !== undefined && scope !== undefined) {
    throw refused('The access token carries both a handle and a scope')
  }
  if (typeof handle === 'string' && handle !== '') {
    return { kind: 'user', userId: sub, handle, ...facts }
  }
  if (typeof scope === 'string') {
    return { kind: 'client', clientId: sub, scopes: scope.split(' ').filter(Boolean), ...facts }
  }
  throw refused('The access token carries neither a handle nor a scope')
}
