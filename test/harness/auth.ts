import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll } from 'vitest'
import { createKeySet, type KeySet, loadSigningKey } from '#shared/auth/keys.ts'
import { issueAccessToken, type TokenSubject } from '#shared/auth/tokens.ts'
import { type AccessTokenVerifier, createVerifier } from '#shared/auth/verifier.ts'

/** Tokens for tests: a fresh Ed25519 key per call, and the verifier that trusts it. */
export const TEST_ISSUER = 'https://auth.tenantry.test'
export const TEST_AUDIENCE = 'tenantry-api'

export interface TestAuth {
  /** The private key, as AUTH_SIGNING_KEY holds it (for an auth function built in a test). */
  signingKeyPem: string
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
    signingKeyPem: pem,
    keys,
    verifier,
    bearer: (user) => issue({ kind: 'user', userId: user.id, handle: user.handle }),
    clientBearer: (clientId, scopes) => issue({ kind: 'client', clientId, scopes }),
  }
}

/**
 * The key set's JWKS served on 127.0.0.1 for the whole test file, as the auth function
 * would publish it: returns a getter for its URL (valid from beforeAll on).
 */
export function useJwksServer(keys: () => KeySet): () => string {
  let server: Server | undefined
  let url = ''
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(keys().publicJwks()))
    })
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/.well-known/jwks.json`
  })
  afterAll(
    () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  )
  return () => url
}
