import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ApiError } from './errors.ts'
import { decodeCursor, encodeCursor, pageRequest, toPage } from './pagination.ts'

const secret = randomBytes(32)
type Key = [string, string]

const codeOf = (fn: () => unknown) => {
  try {
    fn()
    return 'no error'
  } catch (error) {
    return error instanceof ApiError ? error.code : String(error)
  }
}

describe('cursors', () => {
  it('round-trips a keyset position', () => {
    const key: Key = ['2026-11-27T04:00:00.000Z', '0b000000-0000-4000-8000-000000000000']
    expect(decodeCursor<Key>(encodeCursor(key, secret), secret)).toEqual(key)
  })

  it('refuses an edited, forged, foreign or garbled cursor with INVALID_CURSOR', () => {
    const cursor = encodeCursor(['2026-11-27T04:00:00.000Z', 'a'], secret)
    const [payload, signature] = cursor.split('.') as [string, string]
    const edited = `${Buffer.from(JSON.stringify(['1970-01-01T00:00:00.000Z', 'a'])).toString('base64url')}.${signature}`
    const cases = {
      edited,
      'signature flipped': `${payload}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
      'signed with another key': encodeCursor(['x'], randomBytes(32)),
      'no signature': payload,
      garbage: 'not a cursor at all',
      'extra part': `${cursor}.x`,
    }
    for (const [label, bad] of Object.entries(cases)) {
      expect(
        codeOf(() => decodeCursor(bad, secret)),
        label,
      ).toBe('INVALID_CURSOR')
    }
  })
})

describe('page requests', () => {
  it('defaults to 20 and accepts 1 to 100', () => {
    expect(pageRequest({}, secret)).toEqual({ limit: 20, after: undefined })
    expect(pageRequest({ limit: '1' }, secret).limit).toBe(1)
    expect(pageRequest({ limit: '100' }, secret).limit).toBe(100)
  })

  it.each(['0', '101', '-1', '2.5', 'ten', ''])(
    'refuses limit=%s with VALIDATION_FAILED',
    (limit) => {
      try {
        pageRequest({ limit }, secret)
        expect.unreachable()
      } catch (error) {
        expect(error).toBeInstanceOf(ApiError)
        expect((error as ApiError).code).toBe('VALIDATION_FAILED')
        expect((error as ApiError).errors?.[0]?.location).toBe('query.limit')
      }
    },
  )

  it('decodes the cursor of the previous page', () => {
    const cursor = encodeCursor(['t', 'id-9'], secret)
    expect(pageRequest<Key>({ cursor }, secret).after).toEqual(['t', 'id-9'])
    expect(codeOf(() => pageRequest({ cursor: `${cursor}x` }, secret))).toBe('INVALID_CURSOR')
  })
})

describe('pages', () => {
  const rows = Array.from({ length: 45 }, (_, i) => ({ id: `id-${String(i).padStart(2, '0')}` }))

  it('walks every row exactly once, in order, and ends with a null cursor', () => {
    const seen: string[] = []
    let after: string | undefined
    for (let pages = 0; pages < 10; pages++) {
      const from = after === undefined ? 0 : rows.findIndex((r) => r.id === after) + 1
      const page = toPage(rows.slice(from, from + 21), 20, (r) => r.id, secret)
      seen.push(...page.items.map((r) => r.id))
      if (page.next_cursor === null) break
      after = pageRequest<string>({ cursor: page.next_cursor }, secret).after
    }
    expect(seen).toEqual(rows.map((r) => r.id))
  })
})
