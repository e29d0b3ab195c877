import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '#test/harness/database.ts'
import { tcpProxy } from '#test/harness/tcp-proxy.ts'
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

/**
 * The driver's behaviour when PostgreSQL drops a connection (patches/postgres+3.4.9.patch,
 * porsager/postgres#1208): a query on a reserved connection whose backend is gone rejects
 * instead of throwing from a timer (which would take the process down), the pool goes
 * on with a fresh connection, and end() does not wait for the dead one.
 */
describe('a connection PostgreSQL terminates', () => {
  it('fails the reservation’s later queries, leaves the pool serving, and ends at once', async () => {
    const sql = connect(db.url('tenantry_app'), { max: 1 })
    const uncaught: unknown[] = []
    const record = (error: unknown) => uncaught.push(error)
    process.on('uncaughtException', record)
    try {
      const reserved = await sql.reserve()
      const [{ pid }] = (await reserved`select pg_backend_pid() as pid`) as unknown as [
        { pid: number },
      ]
      await db.admin`select pg_terminate_backend(${pid})`
      await new Promise((resolve) => setTimeout(resolve, 50))
      for (let i = 0; i < 2; i++) {
        const error = await failureOf(() => reserved`select 1`)
        expect((error as { code?: string }).code).toBe('CONNECTION_CLOSED')
      }
      reserved.release()
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(uncaught).toEqual([])
      const [row] = await sql`select 1 as n`
      expect(row?.n).toBe(1)
    } finally {
      process.off('uncaughtException', record)
      const started = performance.now()
      await sql.end()
      expect(performance.now() - started).toBeLessThan(1_000)
    }
  })

  it('still serves a reserve() that waits for a connection when another one closes', async () => {
    const sql = connect(db.url('tenantry_app'), { max: 2 })
    try {
      const first = await sql.reserve()
      const second = await sql.reserve()
      const [{ pid }] = (await first`select pg_backend_pid() as pid`) as unknown as [
        { pid: number },
      ]
      // The pool is full: this one waits, and is handed the connection PostgreSQL drops next.
      const waiting = sql.reserve()
      await db.admin`select pg_terminate_backend(${pid})`
      const third = await Promise.race([
        waiting,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('the waiting reserve() was dropped')), 3_000),
        ),
      ])
      const [row] = await third`select 3 as n`
      expect(row?.n).toBe(3)
      third.release()
      second.release()
      first.release()
    } finally {
      await sql.end({ timeout: 1 })
    }
  })

  it('fails a reserve() whose connection cannot be made, and stops trying', async () => {
    const sql = connect('postgres://nobody:x@127.0.0.1:1/none', { max: 1 })
    const error = await failureOf(() => sql.reserve())
    expect(isConnectionError(error)).toBe(true)
    // Nothing left queued: the pool is idle again and ends at once.
    const started = performance.now()
    await sql.end()
    expect(performance.now() - started).toBeLessThan(1_000)
  })

  it('fails a statement sent between the socket’s error and its close, and gives the next session its own replies', async () => {
    const proxy = await tcpProxy(db.url('tenantry_app'))
    const sql = connect(proxy.url, { max: 1 })
    try {
      const reserved = await sql.reserve()
      await reserved`begin`
      const running = reserved`select pg_sleep(5)`.execute()
      await new Promise((resolve) => setTimeout(resolve, 50))
      proxy.reset()
      expect(isConnectionError(await failureOf(() => running))).toBe(true)
      // What a transaction's catch does at once: roll back. Node reports the socket's
      // error a phase before its close; this ROLLBACK is written in between, to a socket
      // that is gone, and must fail rather than wait for an answer forever.
      const rollback = reserved`rollback`.execute()
      const outcome = await Promise.race([
        rollback.then(
          () => 'answered',
          (error: unknown) => (isConnectionError(error) ? 'failed' : error),
        ),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2_000)),
      ])
      expect(outcome).toBe('failed')
      reserved.release()
      // The pool's next session on the reconnected connection: each reply is its own.
      const replies = await Promise.all([sql`select 1 as n`, sql`select 2 as n`])
      expect(replies.map(([row]) => row?.n)).toEqual([1, 2])
    } finally {
      await sql.end({ timeout: 1 })
      await proxy.close()
    }
  })

  it('is back within a second of the database, however many attempts failed meanwhile', async () => {
    const proxy = await tcpProxy(db.url('tenantry_app'))
    const sql = connect(proxy.url, { max: 8 })
    try {
      await Promise.all(Array.from({ length: 8 }, () => sql`select 1`))
      // As while PostgreSQL restarts: for 300 ms every connection attempt fails, while
      // requests keep coming. The pool counts every failed attempt (across connections):
      // after two dozen, postgres.js's own backoff waits 10–20 s before trying again
      // (3^n/100 s, capped at 20, jittered), long after the database is back.
      const started = performance.now()
      proxy.refuse()
      proxy.drop()
      setTimeout(() => proxy.accept(), 300)
      for (;;) {
        const round = await Promise.allSettled(
          Array.from({ length: 8 }, () => sql`select 1 as n`.execute()),
        )
        if (round.every((outcome) => outcome.status === 'fulfilled')) break
      }
      expect(performance.now() - started).toBeLessThan(300 + 2_500) // at most a 1 s wait, and connecting
    } finally {
      await sql.end({ timeout: 1 })
      await proxy.close()
    }
  })

  it('does not keep a pooled connection waiting for an answer that cannot come', async () => {
    const sql = connect(db.url('tenantry_app'), { max: 1 })
    const error = await failureOf(() => sql`select pg_terminate_backend(pg_backend_pid())`)
    expect(isConnectionError(error)).toBe(true)
    // Once the socket has closed (a query sent before that fails the same way).
    await new Promise((resolve) => setTimeout(resolve, 50))
    const [row] = await sql`select 2 as n`
    expect(row?.n).toBe(2)
    const started = performance.now()
    await sql.end()
    expect(performance.now() - started).toBeLessThan(1_000)
  })
})
