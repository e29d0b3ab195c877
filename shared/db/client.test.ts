import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '#test/harness/database.ts'
import { connect, isConnectionError } from './client.ts'

/** Which failures count as "the database is unavailable" (503) rather than a bug (500). */

const db = useTestDatabase()

async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run()
  } catch (error) {
    return error
  }
  throw new Error('expected the statement to fail')
}

describe('isConnectionError', () => {
  it('is true for a statement whose connection PostgreSQL terminated', async () => {
    const sql = connect(db.url('tenantry_app'), { max: 1 })
    try {
      const [{ pid }] = (await sql`select pg_backend_pid() as pid`) as unknown as [{ pid: number }]
      const error = await failureOf(() =>
        Promise.all([sql`select pg_sleep(5)`, db.admin`select pg_terminate_backend(${pid})`]),
      )
      // 57P01 from the server, or CONNECTION_CLOSED when postgres.js sees the socket go.
      expect(['57P01', 'CONNECTION_CLOSED']).toContain((error as { code?: string }).code)
      expect(isConnectionError(error)).toBe(true)
    } finally {
      await sql.end({ timeout: 1 })
    }
  })

  it('is true when nothing listens on the port', async () => {
    const sql = connect('postgres://nobody:x@127.0.0.1:1/none', { max: 1 })
    try {
      expect(isConnectionError(await failureOf(() => sql`select 1`))).toBe(true)
    } finally {
      await sql.end({ timeout: 1 })
    }
  })

  it('is false for a statement PostgreSQL refused, and for non-database errors', async () => {
    const error = await failureOf(() => db.app`select * from no_such_table`)
    expect((error as { code?: string }).code).toBe('42P01')
    expect(isConnectionError(error)).toBe(false)
    expect(isConnectionError(new TypeError('x'))).toBe(false)
    expect(isConnectionError(null)).toBe(false)
  })
})
