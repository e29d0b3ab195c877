import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import type { Sql } from 'postgres'
import type { Tx } from '#shared/db/tenant.ts'
import { withUser } from '#shared/db/tenant.ts'
import type { AppEnv } from './app-env.ts'
import { ApiError } from './errors.ts'

/**
 * Idempotency-Key for POST routes that create something (API.md "Idempotency"), kept in
 * PostgreSQL per user for 24 h: the same key with the same request replays the stored
 * response with `Idempotent-Replayed: true`; with a different request → 422
 * IDEMPOTENCY_KEY_REUSED; while the first still runs → 409 IDEMPOTENCY_KEY_IN_USE.
 *
 * Nothing here trusts time to tell a running request from a dead one, and the stored
 * response commits with the side effect, so a retry after any crash replays or
 * completes and never duplicates:
 *
 * - A key is in use exactly while a transaction holding its advisory lock is open. The
 *   handler claims the key inside its own transaction (`once`): the lock, the check of
 *   what is stored, the work, and the stored response all commit together. A crash
 *   rolls all of it back and releases the lock; the retry runs as if it were first.
 * - Work that cannot be one transaction (org creation, a saga around a provisioner)
 *   claims the key in its first transaction and records what it started (`begin`). The
 *   claim is then committed `in_flight` with that resource, and the work's last
 *   transaction stores the response (`finish`). A retry that finds such a claim
 *   resumes the work it names; the work tells whether it is still running elsewhere
 *   (orgs: a lock held for the saga's whole run).
 * - A request that fails (4xx thrown, or 5xx) stores nothing: its retry runs again.
 *
 * Stored responses are sealed (AES-256-GCM, bound to the user and the key): some carry
 * secrets, such as a new invite's code, which PostgreSQL otherwise holds only hashed.
 * The key is derived from a secret every replica shares; a response sealed under a
 * secret since rotated cannot be replayed, and its key answers 422 until it expires.
 */

const KEY = /^[\x21-\x7e]{1,255}$/
const TTL = '24 hours'
const KEPT_HEADERS = ['content-type', 'location', 'etag']
const SEAL_INFO = 'tenantry idempotency replay v1'
const IV_BYTES = 12
const TAG_BYTES = 16

export interface IdempotencyOptions {
  db: Sql
  /** The verified caller; keys are scoped to them. */
  userOf: (c: Context<AppEnv>) => string
  /**
   * A secret shared by every replica (the function's CURSOR_SECRET); the sealing key is
   * derived from it for this purpose alone.
   */
  secret: Uint8Array
}

/** A request's key, checked and ready to be claimed by its handler. */
export interface KeyClaim {
  userId: string
  key: string
  hash: Buffer
  sealKey: Buffer
  /** Set once the handler has claimed the key; the middleware checks it did. */
  claimed: boolean
}

interface StoredKey {
  request_hash: Buffer
  status: 'in_flight' | 'completed'
  response_status: number | null
  response_body: Buffer | null
  response_headers: Record<string, string> | null
  resource: string | null
  expired: boolean
}

/**
 * The middleware of idempotent routes: checks the key's form, answers a replay of a
 * stored response at once, and hands the handler its claim (`c.var.idempotency`).
 */
export function idempotency(options: IdempotencyOptions): MiddlewareHandler<AppEnv> {
  const sealKey = Buffer.from(hkdfSync('sha256', options.secret, '', SEAL_INFO, 32))
  return async (c, next) => {
    const key = c.req.header('idempotency-key')
    if (key === undefined) return next()
    if (!KEY.test(key)) {
      throw new ApiError('VALIDATION_FAILED', {
        errors: [
          { location: 'header.idempotency-key', message: 'must be 1–255 visible ASCII characters' },
        ],
      })
    }
    const userId = options.userOf(c)
    const hash = requestHash(c.req.method, c.req.path, new Uint8Array(await c.req.arrayBuffer()))
    const claim: KeyClaim = { userId, key, hash, sealKey, claimed: false }
    // The common retry, a completed key, is answered without running the handler.
    const [stored] = await withUser(options.db, userId, (tx) => readKey(tx, userId, key))
    if (stored && !stored.expired && stored.status === 'completed') return replayOf(stored, claim)
    c.set('idempotency', claim)
    await next()
    if (!claim.claimed && c.res.status >= 200 && c.res.status < 300) {
      // A route declared idempotent whose handler never claimed its key: a bug, and the
      // client would believe a retry to be safe.
      c.get('log').error({ route: c.req.routePath }, 'idempotent route did not claim its key')
      throw new ApiError('INTERNAL')
    }
  }
}

/**
 * Runs a handler's transaction once per key: `transaction` opens it (withUser or
 * asSystem), `work` does the writes and returns the response, which is stored in the
 * same transaction. Without an Idempotency-Key it is just the transaction.
 */
export async function once(
  c: Context<AppEnv>,
  transaction: (work: (tx: Tx) => Promise<Response>) => Promise<Response>,
  work: (tx: Tx) => Promise<Response>,
): Promise<Response> {
  const claim = c.get('idempotency')
  if (!claim) return transaction(work)
  return transaction(async (tx) => {
    const found = await lockAndRead(tx, claim)
    if (found.replay) return found.replay
    const response = await work(tx)
    await store(tx, claim, response)
    return response
  })
}

/** What an earlier request with this key left, as `begin` sees it. */
export type Begun =
  | { kind: 'new' }
  | { kind: 'replay'; response: Response }
  /** An earlier attempt started this resource and did not finish answering. */
  | { kind: 'resume'; resource: string }

/**
 * For work of several transactions, in its first one: claims the key, or says what an
 * earlier request with it left. Without an Idempotency-Key: always new. After `new`,
 * the caller records what it started with `started()` in the same transaction.
 */
export async function begin(c: Context<AppEnv>, tx: Tx): Promise<Begun> {
  const claim = c.get('idempotency')
  if (!claim) return { kind: 'new' }
  const found = await lockAndRead(tx, claim)
  if (found.replay) return { kind: 'replay', response: found.replay }
  if (found.resource) return { kind: 'resume', resource: found.resource }
  return { kind: 'new' }
}

/** Records, in begin()'s transaction, the resource this request started. */
export async function started(c: Context<AppEnv>, tx: Tx, resource: string): Promise<void> {
  const claim = c.get('idempotency')
  if (!claim) return
  await tx`
    insert into idempotency_keys (user_id, key, request_hash, status, resource, expires_at)
    values (${claim.userId}, ${claim.key}, ${claim.hash}, 'in_flight', ${resource},
            now() + ${TTL}::interval)
    on conflict (user_id, key) do update
       set request_hash = excluded.request_hash, status = 'in_flight', resource = excluded.resource,
           created_at = now(), expires_at = excluded.expires_at, response_status = null,
           response_body = null, response_headers = null`
}

/** In the last transaction of such work: the response, stored as it commits. */
export async function finish(c: Context<AppEnv>, tx: Tx, response: Response): Promise<void> {
  const claim = c.get('idempotency')
  if (claim) await store(tx, claim, response)
}

function requestHash(method: string, path: string, body: Uint8Array): Buffer {
  return createHash('sha256').update(`${method} ${path}\n`).update(body).digest()
}

function readKey(tx: Tx, userId: string, key: string) {
  return tx<StoredKey[]>`
    select request_hash, status, response_status, response_body, response_headers, resource,
           expires_at <= now() as expired
      from idempotency_keys where user_id = ${userId} and key = ${key}`
}

/**
 * The key's lock, then what is stored: 409 while another transaction holds the lock,
 * 422 for another request under this key, the replay of a completed one, or what an
 * unfinished one started. An expired key counts as none; so does an `in_flight` row
 * without a resource (left by an earlier version of this module: no lock holds it).
 */
async function lockAndRead(
  tx: Tx,
  claim: KeyClaim,
): Promise<{ replay?: Response; resource?: string }> {
  claim.claimed = true
  const [lock] = await tx<{ locked: boolean }[]>`
    select pg_try_advisory_xact_lock(
      hashtextextended(${`idempotency:${claim.userId}:${claim.key}`}, 0)) as locked`
  if (!lock?.locked) {
    throw new ApiError('IDEMPOTENCY_KEY_IN_USE', { headers: { 'Retry-After': '1' } })
  }
  const [stored] = await readKey(tx, claim.userId, claim.key)
  if (!stored || stored.expired) return {}
  if (!stored.request_hash.equals(claim.hash)) throw new ApiError('IDEMPOTENCY_KEY_REUSED')
  if (stored.status === 'completed') return { replay: replayOf(stored, claim) }
  return stored.resource ? { resource: stored.resource } : {}
}

/** The response as the key's final state; nothing for a 5xx (a retry must run again). */
async function store(tx: Tx, claim: KeyClaim, response: Response): Promise<void> {
  if (response.status >= 500) return
  const body = Buffer.from(await response.clone().arrayBuffer())
  const headers = Object.fromEntries(
    KEPT_HEADERS.flatMap((name) => {
      const value = response.headers.get(name)
      return value === null ? [] : [[name, value]]
    }),
  )
  await tx`
    insert into idempotency_keys (user_id, key, request_hash, status, response_status,
                                  response_body, response_headers, expires_at)
    values (${claim.userId}, ${claim.key}, ${claim.hash}, 'completed', ${response.status},
            ${seal(body, claim.sealKey, claim.userId, claim.key)}, ${tx.json(headers)},
            now() + ${TTL}::interval)
    on conflict (user_id, key) do update
       set request_hash = excluded.request_hash, status = 'completed',
           response_status = excluded.response_status, response_body = excluded.response_body,
           response_headers = excluded.response_headers, expires_at = excluded.expires_at`
}

/** iv ‖ tag ‖ ciphertext; the user and the key are authenticated, not stored inside. */
function seal(body: Buffer, sealKey: Buffer, userId: string, key: string): Buffer {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', sealKey, iv)
  cipher.setAAD(Buffer.from(`${userId}\n${key}`))
  const sealed = Buffer.concat([cipher.update(body), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), sealed])
}

function unseal(stored: Buffer, sealKey: Buffer, userId: string, key: string): Buffer | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey, stored.subarray(0, IV_BYTES))
    decipher.setAAD(Buffer.from(`${userId}\n${key}`))
    decipher.setAuthTag(stored.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
    return Buffer.concat([decipher.update(stored.subarray(IV_BYTES + TAG_BYTES)), decipher.final()])
  } catch {
    return null // sealed under another secret (rotated), or altered
  }
}

function replayOf(stored: StoredKey, claim: KeyClaim): Response {
  if (!stored.request_hash.equals(claim.hash)) throw new ApiError('IDEMPOTENCY_KEY_REUSED')
  const body = unseal(
    stored.response_body ?? Buffer.alloc(0),
    claim.sealKey,
    claim.userId,
    claim.key,
  )
  if (body === null) {
    throw new ApiError('IDEMPOTENCY_KEY_REUSED', {
      detail: 'The response stored for this key can no longer be replayed; use a new key.',
    })
  }
  const headers = new Headers(stored.response_headers ?? {})
  headers.set('Idempotent-Replayed', 'true')
  return new Response(new Uint8Array(body), { status: stored.response_status ?? 200, headers })
}
