import { generateKeyPairSync } from 'node:crypto'
import { createKeySet, type KeySet, loadSigningKey } from '#shared/auth/keys.ts'
import { issueAccessToken, type TokenSubject } from '#shared/auth/tokens.ts'
import { type AccessTokenVerifier, createVerifier } from '#shared/auth/verifier.ts'

/** Tokens for tests: a fresh Ed25519 key per call, and the verifier that trusts it. */
export const TEST_ISSUER = 'https://auth.tenantry.test'
export const TEST_AUDIENCE = 'tenantry-api'

export interface TestAuth {
  keys: KeySet
  verifier: AccessTokenVerifier
  /** A bearer header value for a guest user. */
  bearer(user: { id: string; handle: string }): Promise<string>
  /** A bearer header value for a machine client with these scopes. */
  clientBearer(clientId: string, scopes: string[]): Promise<string>
}

export async function createTestAuth(): Promise<TestAuth> {
  const { privateKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  const keys = createKeySet(await loadSigningKey(pem))
  const verifier = await createVerifier({
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    jwks: keys.publicJwks(),
  })
  const issue = async (subject: TokenSubject) => {
    const { token } = await issueAccessToken(keys.signing, subject, {
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      lifetimeSeconds: 900,
    })
    return `Bearer ${token}`
  }
  return {
    keys,
    verifier,
    bearer: (user) => issue({ kind: 'user', userId: user.id, handle: user.handle }),
    clientBearer: (clientId, scopes) => issue({ kind: 'client', clientId, scopes }),
  }
}
