import { createHmac, timingSafeEqual } from 'node:crypto'
import * as v from 'valibot'
import { ApiError } from './errors.ts'
import { parseInput } from './input.ts'

/**
 * Cursor pagination (API.md "Lists"): `?limit=` 1–100 (default 20) and an opaque
 * `?cursor=` that carries the keyset position of the last item, signed with HMAC-SHA256
 * so that a client cannot forge or edit one (→ 400 INVALID_CURSOR). Lists order by a
 * unique key (for example `created_at, id`) and fetch limit + 1 rows to know if there
 * is a next page, so pages have no duplicates or gaps.
 */

/** The list query, exported for the OpenAPI document. */
export const PageQuery = v.object({
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100'),
      v.transform(Number),
      v.minValue(1, 'must be a whole number from 1 to 100'),
      v.maxValue(100, 'must be a whole number from 1 to 100'),
    ),
    '20',
  ),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(1024, 'is not a valid cursor'))),
})

export interface PageRequest<K> {
  limit: number
  /** The position after which this page starts; undefined for the first page. */
  after: K | undefined
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/** Reads `limit` and `cursor` from the query string (other parameters are ignored). */
export function pageRequest<K>(
  query: Record<string, string | undefined>,
  secret: Uint8Array,
): PageRequest<K> {
  const { limit, cursor } = parseInput(
    PageQuery,
    { limit: query.limit, cursor: query.cursor },
    'query',
  )
  return { limit, after: cursor === undefined ? undefined : decodeCursor<K>(cursor, secret) }
}

/** Given up to limit + 1 rows in order, the page and the cursor of its last item. */
export function toPage<T, K>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => K,
  secret: Uint8Array,
): Page<T> {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  const more = rows.length > limit && last !== undefined
  return { items, next_cursor: more ? encodeCursor(keyOf(last), secret) : null }
}

export function encodeCursor(position: unknown, secret: Uint8Array): string {
  const payload = Buffer.from(JSON.stringify(position)).toString('base64url')
  return `${payload}.${sign(payload, secret)}`
}

export function decodeCursor<K>(cursor: string, secret: Uint8Array): K {
  const [payload, signature, ...rest] = cursor.split('.')
  if (!payload || !signature || rest.length > 0) throw invalid()
  const expected = Buffer.from(sign(payload, secret))
  const given = Buffer.from(signature)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid()
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as K
  } catch {
    throw invalid()
  }
}

function sign(payload: string, secret: Uint8Array): string {
  return createHmac('sha256', secret).update(payload).digest().subarray(0, 16).toString('base64url')
}

function invalid(): ApiError {
  return new ApiError('INVALID_CURSOR', {
    detail: 'Use a next_cursor exactly as a list returned it.',
  })
}
