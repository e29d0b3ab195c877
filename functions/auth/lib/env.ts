import * as v from 'valibot'
import { ALGORITHMS, type KeySet, loadKeySet } from '#shared/auth/keys.ts'
import { ClientsSchema } from './clients.ts'

/**
 * The auth function's own environment, on top of the common one (start-function.ts):
 *
 * - AUTH_SIGNING_KEY (required): the private signing key, a PKCS#8 PEM or a private JWK
 *   (Ed25519 → EdDSA, P-256 → ES256). PEM lines may be joined with literal `\n`.
 * - AUTH_SIGNING_KID, AUTH_SIGNING_ALG (optional): default the RFC 7638 thumbprint and
 *   the key type's algorithm.
 * - AUTH_VERIFICATION_KEYS (optional): keys still published for rotation (a JWKS, a JWK
 *   or a PEM); only their public members are ever served.
 * - AUTH_CLIENTS (optional, default none): JSON, client id → { secret_sha256, scopes }.
 * - AUTH_TRUST_PROXY (optional, default false): `true` only behind a proxy that sets
 *   X-Forwarded-For itself (lib/client-address.ts).
 */

const pem = (text: string) => (text.includes('-----BEGIN') ? text.replaceAll('\\n', '\n') : text)

export const AUTH_ENV = {
  AUTH_SIGNING_KEY: v.pipe(
    v.string('required, the private signing key (PKCS#8 PEM or JWK)'),
    v.minLength(1, 'required'),
  ),
  AUTH_SIGNING_KID: v.optional(
    v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,128}$/, 'must be 1–128 printable characters')),
  ),
  AUTH_SIGNING_ALG: v.optional(v.picklist(ALGORITHMS, `one of ${ALGORITHMS.join(', ')}`)),
  AUTH_VERIFICATION_KEYS: v.optional(v.string()),
  AUTH_CLIENTS: v.optional(
    v.pipe(
      v.string(),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        try {
          return JSON.parse(dataset.value) as unknown
        } catch {
          addIssue({ message: 'must be JSON: client id → { secret_sha256, scopes }' })
          return NEVER
        }
      }),
      ClientsSchema,
    ),
    '{}',
  ),
  AUTH_TRUST_PROXY: v.optional(
    v.pipe(
      v.picklist(['true', 'false'], 'must be true or false'),
      v.transform((flag) => flag === 'true'),
    ),
    'false',
  ),
}

type AuthEnv = v.InferOutput<v.ObjectSchema<typeof AUTH_ENV, undefined>>

/** Loads the key set; errors name the variable and never quote the key. */
export async function loadAuthKeys(env: AuthEnv): Promise<KeySet> {
  try {
    return await loadKeySet({
      signingKey: pem(env.AUTH_SIGNING_KEY),
      ...(env.AUTH_SIGNING_KID ? { signingKid: env.AUTH_SIGNING_KID } : {}),
      ...(env.AUTH_SIGNING_ALG ? { signingAlg: env.AUTH_SIGNING_ALG } : {}),
      ...(env.AUTH_VERIFICATION_KEYS ? { verificationKeys: pem(env.AUTH_VERIFICATION_KEYS) } : {}),
    })
  } catch (error) {
    const message = error instanceof Error ? error.message : 'invalid'
    const name = message.startsWith('verification') ? 'AUTH_VERIFICATION_KEYS' : 'AUTH_SIGNING_KEY'
    throw new Error(`${name}: ${message}`)
  }
}
