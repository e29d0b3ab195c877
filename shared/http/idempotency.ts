import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import type { Sql } from 'postgres'
import { withUser } from '#shared/db/tenant.ts'
import type { AppEnv } from './app-env.ts'
import { ApiError } from './errors.ts'

/**
 * Idempotency-Key for POST routes that create something (API.md "Idempotency"): kept in
 * PostgreSQL per user for 24 h. The first request claims the key (an INSERT that only
 * one concurrent request can win); the same key with the same request then replays the
 * stored response byte for byte with `Idempotent-Replayed: true`; with a different
 * request → 422 IDEMPOTENCY_KEY_REUSED; while the first still runs → 409
 * IDEMPOTENCY_KEY_IN_USE. A 5xx or a crash releases the key so the client can retry.
 *
 * Stored responses are sealed (AES-256-GCM, bound to the user and the key): some carry
 * secrets, such as a new invite's code, which PostgreSQL otherwise holds only hashed.
 * The key is derived from a secret every replica shares; a response sealed under a
 * secret since rotated cannot be replayed, and its key answers 422 until it expires.
 *
 * Known gap: the handler's transaction and the stored response commit separately, so a
 * process that dies between the two leaves the key in flight until its lease ends, and
 * a retry after that runs the handler again.
 */

const KEY = /^[\x21-\x7e]{1,255}$/
const TTL = '24 hours'
/** A claim older than this while still in flight is taken to be abandoned (a crash). */
const LEASE_SECONDS = 60
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

interface StoredKey {
  request_hash: Buffer
  status: 'in_flight' | 'completed'
  response_status: number | null
  response_body: Buffer | null
  response_headers: Record<string, string> | null
  abandoned: boolean
}

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

    const claimed = await claim(options.db, userId, key, hash)
    if (!claimed) {
      const existing = await read(options.db, userId, key)
      if (existing && !existing.request_hash.equals(hash))
        throw new ApiError('IDEMPOTENCY_KEY_REUSED')
      if (existing?.status === 'completed') return replay(existing, sealKey, userId, key)
      if (!existing?.abandoned || !(await takeOver(options.db, userId, key))) {
        throw new ApiError('IDEMPOTENCY_KEY_IN_USE', { headers: { 'Retry-After': '1' } })
      }
    }

    try {
      await next()
    } catch (error) {
      await release(options.db, userId, key)
      throw error
    }
    if (c.res.status >= 500) {
      await release(options.db, userId, key)
      return
    }
    const body = Buffer.from(await c.res.clone().arrayBuffer())
    const headers = Object.fromEntries(
      KEPT_HEADERS.flatMap((name) => {
        const value = c.res.headers.get(name)
        return value === null ? [] : [[name, value]]
      }),
    )
    await withUser(
      options.db,
      userId,
      (tx) => tx`
      update idempotency_keys
         set status = 'completed', response_status = ${c.res.status},
             response_body = ${seal(body, sealKey, userId, key)},
             response_headers = ${tx.json(headers)}
       where user_id = ${userId} and key = ${key}`,
    )
  }
}

function requestHash(method: string, path: string, body: Uint8Array): Buffer {
  return createHash('sha256').update(`${method} ${path}\n`).update(body).digest()
}

/** True when this request now owns the key. An expired row is replaced. */
async function claim(db: Sql, userId: string, key: string, hash: Buffer): Promise<boolean> {
  const rows = await withUser(
    db,
    userId,
    (tx) => tx`
    insert into idempotency_keys (user_id, key, request_hash, expires_at)
    values (${userId}, ${key}, ${hash}, now() + ${TTL}::interval)
    on conflict (user_id, key) do update
       set request_hash = excluded.request_hash, status = 'in_flight', created_at = now(),
           expires_at = excluded.expires_at, response_status = null, response_body = null,
           response_headers = null
     where idempotency_keys.expires_at <= now()
    returning 1`,
  )
  return rows.length === 1
}

async function read(db: Sql, userId: string, key: string): Promise<StoredKey | undefined> {
  const [row] = await withUser(
    db,
    userId,
    (tx) => tx<StoredKey[]>`
    select request_hash, status, response_status, response_body, response_headers,
           created_at < now() - make_interval(secs => ${LEASE_SECONDS}) as abandoned
      from idempotency_keys where user_id = ${userId} and key = ${key}`,
  )
  return row
}

/** Claims an abandoned in-flight key; only one of several retries wins. */
async function takeOver(db: Sql, userId: string, key: string): Promise<boolean> {
  const rows = await withUser(
    db,
    userId,
    (tx) => tx`
    update idempotency_keys set created_at = now()
     where user_id = ${userId} and key = ${key} and status = 'in_flight'
       and created_at < now() - make_interval(secs => ${LEASE_SECONDS})
    returning 1`,
  )
  return rows.length === 1
}

async function release(db: Sql, userId: string, key: string): Promise<void> {
  await withUser(
    db,
    userId,
    (tx) => tx`
    delete from idempotency_keys where user_id = ${userId} and key = ${key} and status = 'in_flight'`,
  )
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

function replay(stored: StoredKey, sealKey: Buffer, userId: string, key: string): Response {
  const body = unseal(stored.response_body ?? Buffer.alloc(0), sealKey, userId, key)
  if (body === null) {
    throw new ApiError('IDEMPOTENCY_KEY_REUSED', {
      detail: 'The response stored for this key can no longer be replayed; use a new key.',
    })
  }
  const headers = new Headers(stored.response_headers ?? {})
  headers.set('Idempotent-Replayed', 'true')
  return new Response(new Uint8Array(body), {
    status: stored.response_status ?? 200,
    headers,
  })
}
