import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The machine client `npm start` makes when AUTH_CLIENTS is not set, so that the config
 * routes can be tried at once: `dev`, with `config:read config:write`, its secret kept
 * in DATA_DIR (0600) and shown at every start. AUTH_CLIENTS, when set, replaces it and is
 * read exactly as the auth function reads it.
 */

export interface DevClient {
  id: string
  secret: string
  /** The AUTH_CLIENTS value that configures it. */
  authClients: string
}

const FILE = 'dev-client.json'
const ID = 'dev'
const SCOPES = ['config:read', 'config:write']

export async function devClient(dataDir: string): Promise<DevClient> {
  const file = join(dataDir, FILE)
  let secret: string
  try {
    secret = (JSON.parse(await readFile(file, 'utf8')) as { secret: string }).secret
  } catch {
    secret = randomBytes(32).toString('base64url')
    await writeFile(file, JSON.stringify({ id: ID, secret }), { mode: 0o600 })
  }
  const hash = createHash('sha256').update(secret).digest('hex')
  return {
    id: ID,
    secret,
    authClients: JSON.stringify({ [ID]: { secret_sha256: hash, scopes: SCOPES } }),
  }
}

/** What `npm start` prints about it: the id, the secret and how to get a token. */
export function devClientLines(client: DevClient, url: string): string[] {
  return [
    `Machine client for the config routes: id ${client.id}, secret ${client.secret} (kept in DATA_DIR; set AUTH_CLIENTS to use your own)`,
    `  curl -s -X POST ${url}/v1/auth/token -H 'Content-Type: application/json' -d '{"grant_type":"client_credentials","client_id":"${client.id}","client_secret":"${client.secret}"}'`,
  ]
}
