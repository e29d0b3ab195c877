/**
 * The verifier's errors, as data with stable codes (like jose's `ERR_JWT_EXPIRED`): the
 * HTTP layer maps them to the error catalog once (shared/http/authenticate.ts).
 *
 * - TOKEN_INVALID: missing, malformed, expired, forged or not ours. `message` is a short
 *   detail fit for a response: it never quotes the token.
 * - KEYS_UNAVAILABLE: a remote key set that was never loaded (the auth function cannot
 *   be reached). The token may be fine, so this is not a refusal.
 */
export type TokenErrorCode = 'TOKEN_INVALID' | 'KEYS_UNAVAILABLE'

export class TokenError extends Error {
  readonly code: TokenErrorCode
  /** KEYS_UNAVAILABLE: when to try again. */
  readonly retryAfterSeconds: number | undefined

  constructor(code: TokenErrorCode, message: string, retryAfterSeconds?: number) {
    super(message)
    this.name = 'TokenError'
    this.code = code
    this.retryAfterSeconds = retryAfterSeconds
  }

  /** The message, as the detail a response may show. */
  get detail(): string {
    return this.message
  }
}
