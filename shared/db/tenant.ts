import type { PendingQuery, Row, Sql } from 'postgres'
import { activeTracer } from '#shared/telemetry/tracing.ts'

/**
 * Tenant context. Every tenant-scoped statement runs inside withUser(): one transaction
 * on one connection that first sets app.user_id with set_config(…, true). The setting is
 * transaction-local and sent as a bind parameter, never a session SET, so nothing leaks
 * to the next borrower of the connection, PgBouncer in transaction mode included.
 *
 * Round trips: BEGIN and set_config are not awaited; they travel in the same write as
 * the work's first query. If the work returns its queries unawaited (one, or an array),
 * COMMIT travels with them too and the whole transaction costs a single round trip.
 * An async work function costs two: its queries, then COMMIT.
 *
 * BEGIN, COMMIT and ROLLBACK (and asSystem's SET LOCAL ROLE) take no parameters and go
 * as simple-protocol queries: one message each instead of Bind/Execute/Sync, which
 * takes ~40 µs of client CPU off every transaction in postgres.js. The protocol allows
 * mixing the two on one connection, and the pipelining is unchanged.
 */

export type Tx = Sql
type Pending = PendingQuery<Row[]>
type Work<T> = (tx: Tx) => T | Promise<T>
/** What the helpers resolve to: the work's value, or each query's rows for an array. */
export type Settled<T> = T extends readonly unknown[]
  ? { -readonly [K in keyof T]: Awaited<T[K]> }
  : Awaited<T>

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Runs work as userId under row-level security. */
export function withUser<const T>(db: Sql, userId: string, work: Work<T>): Promise<Settled<T>> {
  if (!UUID.test(userId)) {
    return Promise.reject(new TypeError('withUser needs the verified user id (a UUID)'))
  }
  return traceTransaction('user', undefined, () =>
    inTransaction(db, (tx) => [tx`select set_config('app.user_id', ${userId}, true)`], work),
  )
}

/**
 * The few operations that must see across tenants, by name, so that every use can be
 * found and audited: `grep -rn "asSystem(" functions shared`.
 */
export type SystemPurpose =
  | 'guest-sign-in' // creating a guest before any context exists
  | 'refresh-token-rotation' // finding a refresh token by its hash
  | 'invite-acceptance' // the invitee is not yet a member of the org
  | 'org-saga' // creating an org and its first owner, and compensating

/**
 * Runs work as tenantry_system (BYPASSRLS) for this transaction only: SET LOCAL ROLE
 * ends with the transaction. The purpose is recorded in app.system_purpose, where
 * triggers and pg_stat_activity can see it.
 */
export function asSystem<const T>(
  db: Sql,
  purpose: SystemPurpose,
  work: Work<T>,
): Promise<Settled<T>> {
  return traceTransaction('system', purpose, () =>
    inTransaction(
      db,
      (tx) => [
        tx`set local role tenantry_system`.simple(),
        tx`select set_config('app.system_purpose', ${purpose}, true)`,
      ],
      work,
    ),
  )
}

/**
 * A client span per transaction when tracing is on: which context it ran in (a user's, the
 * system's and for what, or a machine client's outside RLS: the config writes), never the
 * user id or the statements' parameters. withUser and asSystem trace themselves; the one
 * transaction outside them (PUT /v1/configs) calls this.
 */
export function traceTransaction<T>(
  as: 'user' | 'system' | 'machine',
  purpose: SystemPurpose | undefined,
  run: () => Promise<T>,
): Promise<T> {
  const tracer = activeTracer()
  if (!tracer) return run()
  return tracer.span(
    `transaction ${as}`,
    {
      kind: 'client',
      attributes: {
        'db.system.name': 'postgresql',
        'db.operation.name': 'transaction',
        'tenantry.db.context': as,
        'tenantry.db.system_purpose': purpose,
      },
    },
    run,
  )
}

async function inTransaction<T>(
  db: Sql,
  context: (tx: Tx) => Pending[],
  work: Work<T>,
): Promise<Settled<T>> {
  const tx = await db.reserve()
  try {
    const prelude = [tx`begin`.simple(), ...context(tx)].map((query) => query.execute())
    const out = callWork(work, tx)
    if (isPendingQueries(out)) {
      const queries = Array.isArray(out) ? out : [out]
      const sent = [
        ...prelude,
        ...queries.map((query) => query.execute()),
        tx`commit`.simple().execute(),
      ]
      await settleInOrder(sent)
      return (Array.isArray(out) ? await Promise.all(queries) : await out) as Settled<T>
    }
    const result = await Promise.allSettled([settleInOrder(prelude), out])
    if (result[0].status === 'rejected') throw result[0].reason
    if (result[1].status === 'rejected') throw result[1].reason
    await tx`commit`.simple()
    return result[1].value as Settled<T>
  } catch (error) {
    // After a failed statement PostgreSQL answers COMMIT with ROLLBACK itself; this
    // covers the async path, where the work threw before COMMIT was sent.
    await tx`rollback`.simple().catch(() => {})
    throw error
  } finally {
    tx.release()
  }
}

function callWork<T>(work: Work<T>, tx: Tx): T | Promise<T> {
  try {
    return work(tx)
  } catch (error) {
    return Promise.reject(error)
  }
}

/** Waits for every query and throws the first failure in the order they were sent. */
async function settleInOrder(queries: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(queries)
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
}

function isPendingQueries(value: unknown): value is Pending | Pending[] {
  const isQuery = (v: unknown) =>
    v instanceof Promise && typeof (v as Partial<Pending>).execute === 'function'
  return Array.isArray(value) ? value.length > 0 && value.every(isQuery) : isQuery(value)
}
