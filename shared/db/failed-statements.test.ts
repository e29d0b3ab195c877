import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApp } from '#shared/http/platform.ts'
import { createLogger } from '#shared/log.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { createUser } from '#test/harness/fixtures.ts'
import { withUser } from './tenant.ts'

/**
 * A statement that fails inside a pipelined transaction (sent together with the ones
 * after it, which PostgreSQL then refuses too) is answered as a problem and logged;
 * none of the rejected promises goes unobserved, and the next request is served.
 */

const db = useTestDatabase()
const lines: Record<string, unknown>[] = []
const log = createLogger('test', {
  destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
})
const unobserved: unknown[] = []
const record = (reason: unknown) => unobserved.push(reason)
beforeEach(() => {
  lines.length = 0
  unobserved.length = 0
  process.on('unhandledRejection', record)
})
afterEach(() => {
  process.off('unhandledRejection', record)
})

function app(userId: string) {
  const app = createApp({ log })
  // Pipelined: BEGIN, set_config, the three statements and COMMIT go in one write.
  app.get('/pipelined/:fault', async (c) => {
    const fault = c.req.param('fault')
    const rows = await withUser(db.app, userId, (tx) => [
      tx`select 1 as n`,
      fault === 'terminated'
        ? tx`select pg_terminate_backend(pg_backend_pid())`
        : tx`select 1 / (select count(*) from projects where false)::int as n`,
      tx`select 3 as n`,
    ])
    return c.json(rows)
  })
  // The awaited path: a failed statement, then work that never runs.
  app.get('/awaited', async (c) => {
    await withUser(db.app, userId, async (tx) => {
      await tx`select 1 / 0`
      await tx`select 2`
    })
    return c.json({ unreachable: true })
  })
  app.get('/ok', async (c) => c.json(await withUser(db.app, userId, (tx) => tx`select 1 as n`)))
  return app
}

/** Long enough for a rejection nobody observes to be reported. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50))

describe('a statement failing inside a transaction', () => {
  it('is a 500 INTERNAL problem in a pipelined transaction, logged, with nothing unobserved', async () => {
    const user = await createUser(db.admin)
    const a = app(user.id)
    const res = await a.request('/pipelined/zero')
    const body = (await res.json()) as Record<string, unknown>
    expect([res.status, body.code], JSON.stringify(body)).toEqual([500, 'INTERNAL'])
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    expect(JSON.stringify(body)).not.toMatch(/division|select/i)
    const logged = lines.filter((line) => line.level === 'error')
    expect(logged.map((line) => line.msg)).toEqual(['unhandled error'])
    expect(JSON.stringify(logged[0]?.err)).toContain('division by zero')
    await settle()
    expect(unobserved).toEqual([])
    expect((await a.request('/ok')).status).toBe(200)
  })

  it('is a 503 UNAVAILABLE when the connection is terminated mid-pipeline', async () => {
    const user = await createUser(db.admin)
    const a = app(user.id)
    const res = await a.request('/pipelined/terminated')
    const body = (await res.json()) as Record<string, unknown>
    expect([res.status, body.code], JSON.stringify(body)).toEqual([503, 'UNAVAILABLE'])
    expect(res.headers.get('retry-after')).toBe('2')
    expect(lines.some((line) => line.msg === 'database unavailable')).toBe(true)
    await settle()
    expect(unobserved).toEqual([])
    // The pool replaces the dead connection.
    expect((await a.request('/ok')).status).toBe(200)
  })

  it('is a 500 on the awaited path too, and the transaction is rolled back', async () => {
    const user = await createUser(db.admin)
    const res = await app(user.id).request('/awaited')
    expect(res.status).toBe(500)
    await settle()
    expect(unobserved).toEqual([])
    const [open] = await db.admin<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
       where datname = current_database() and state like 'idle in transaction%'`
    expect(open?.n).toBe(0)
  })
})
