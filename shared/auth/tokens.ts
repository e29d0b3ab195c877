import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import type { SigningKey } from './keys.ts'

/**
 * Access tokens (API.md "Access tokens", RFC 9068 style): a JWT with `typ: at+jwt`,
 * signed by the auth function's active key. A guest user's token carries `handle`; a
 * machine client's carries `scope` — never both, so the verifier can tell the kinds
 * apart by the claims alone and a guest token can never hold a scope.
 */

/** Who the token is for; the same shape the verifier hands back as the principal. */
export type TokenSubject =
  | { kind: 'user'; userId: string; handle: string }
  | { kind: 'client'; clientId: string; scopes: readonly string[] }

export interface IssueOptions {
  issuer: string
  audience: string
  /** From the `auth` config (`access token 900 s` by default). */
  lifetimeSeconds: number
  /** The issue time; now by default (tests pass other times). */
  now?: Date
}

export interface IssuedAccessToken {
  token: string
  /** Seconds, for the `expires_in` of the token response. */
  expiresIn: number
  expiresAt: Date
  /** The `jti`. */
  tokenId: string
}

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

export async function issueAccessToken(
  key: SigningKey,
  subject: TokenSubject,
  options: IssueOptions,
): Promise<IssuedAccessToken> {
  const { lifetimeSeconds } = options
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds <= 0) {
    throw new Error('access token lifetime must be a positive whole number of seconds')
  }
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000)
  const exp = iat + lifetimeSeconds
  const tokenId = randomUUID()
  const token = await new SignJWT(subjectClaims(subject))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(subject.kind === 'user' ? subject.userId : subject.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(tokenId)
    .sign(key.privateKey)
  return { token, expiresIn: lifetimeSeconds, expiresAt: new Date(exp * 1000), tokenId }
}

/**
 * `handle` or `scope`. Checked at run time too: a caller building the subject from loose
 * data could otherwise produce a token with both, which the verifier would refuse anyway.
 */
function subjectClaims(subject: TokenSubject): { handle: string } | { scope: string } {
  if (subject.kind === 'user') {
    if ('scopes' in subject) throw new Error('a user token must not carry scopes')
    if (!subject.userId || !subject.handle) throw new Error('a user token needs userId and handle')
    return { handle: subject.handle }
  }
  if (subject.kind === 'client') {
    if ('handle' in subject) throw new Error('a client token must not carry a handle')
    if (!subject.clientId) throw new Error('a client token needs clientId')
    for (const scope of subject.scopes) {
      if (!SCOPE_TOKEN.test(scope)) throw new Error('a scope must be printable ASCII, no spaces')
    }
    return { scope: [...new Set(subject.scopes)].join(' ') }
  }
  throw new Error('unknown token subject kind')
}
