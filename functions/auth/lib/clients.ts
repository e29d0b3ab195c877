import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import * as v from 'valibot'

/**
 * Machine clients for the client-credentials grant (DESIGN.md §3), from configuration
 * (AUTH_CLIENTS, a Kubernetes Secret): client id → the SHA-256 of its secret and the
 * scopes it may ask for. Plain secrets never sit in configuration. A plain hash (no
 * salt, no slow KDF) is enough because the secrets are random machine secrets with at
 * least 128 bits of entropy, not passwords; generate them with
 * `openssl rand -base64url 32` (or `-hex 32`) and hash with `sha256sum`.
 */

const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/ // RFC 6749 §3.3 scope-token
const CLIENT_ID = /^[\x21-\x7e]{1,128}$/

const ClientSchema = v.object({
  secret_sha256: v.pipe(
    v.string('must be a string'),
    v.regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (the SHA-256 of the secret)'),
  ),
  scopes: v.array(
    v.pipe(v.string('must be a string'), v.regex(SCOPE, 'must be a scope token (no spaces)')),
    'must be an array of scopes',
  ),
})

export const ClientsSchema = v.record(
  v.pipe(v.string(), v.regex(CLIENT_ID, 'client ids must be 1–128 visible ASCII characters')),
  ClientSchema,
  'must be a JSON object: client id → { secret_sha256, scopes }',
)

interface MachineClient {
  secretHash: Buffer
  scopes: ReadonlySet<string>
}

export interface MachineClients {
  /**
   * The client's allowed scopes when the secret is right, otherwise undefined. The same
   * work (one SHA-256, one constant-time comparison of 32 bytes) is done whether the
   * client exists or not, so timing tells nothing about which client ids exist.
   */
  authenticate(clientId: string, secret: string): ReadonlySet<string> | undefined
}

export function createMachineClients(config: v.InferOutput<typeof ClientsSchema>): MachineClients {
  // A Map, not the parsed object: a client id such as "__proto__" must find nothing.
  const clients = new Map<string, MachineClient>()
  for (const [id, client] of Object.entries(config)) {
    clients.set(id, {
      secretHash: Buffer.from(client.secret_sha256, 'hex'),
      scopes: new Set(client.scopes),
    })
  }
  // Compared against when the client is unknown; random, so no secret can match it.
  const decoy = randomBytes(32)
  return {
    authenticate(clientId, secret) {
      const client = clients.get(clientId)
      const presented = createHash('sha256').update(secret, 'utf8').digest()
      const matches = timingSafeEqual(presented, client?.secretHash ?? decoy)
      return client !== undefined && matches ? client.scopes : undefined
    },
  }
}
