import type { Sql } from 'postgres'

/**
 * Who is running an org saga right now. Whoever runs one holds, for the saga's whole
 * run, a transaction-scoped advisory lock on its own connection: while that transaction
 * is open the saga is being run, and the moment its process dies PostgreSQL ends the
 * transaction and frees the lock. So a retry of the same creation, and the recovery
 * sweep, can tell a saga that is running from one that was abandoned without guessing
 * from time, and never run one saga twice at once. (A transaction, not a session lock:
 * it holds behind PgBouncer in transaction mode.)
 *
 * Each held lock occupies one pool connection while the saga's steps need others, so
 * at most half the pool runs sagas at once; the rest wait for a slot rather than
 * exhaust the pool into a deadlock.
 */

export interface SagaLock {
  /** Whether the lock's transaction is still open (its connection alive). */
  held(): Promise<boolean>
  /** Ends the lock's transaction; idempotent. */
  release(): Promise<void>
}

const slotsByPool = new WeakMap<Sql, Slots>()

/** The saga's lock, or undefined when someone else holds it (it is running there). */
export async function lockSaga(db: Sql, sagaId: string): Promise<SagaLock | undefined> {
  const slots = slotsOf(db)
  await slots.acquire()
  let tx: Awaited<ReturnType<Sql['reserve']>> | undefined
  try {
    tx = await db.reserve()
    await tx`begin`.simple()
    const [row] = await tx<{ locked: boolean }[]>`
      select pg_try_advisory_xact_lock(hashtextextended(${`org-saga:${sagaId}`}, 0)) as locked`
    if (!row?.locked) {
      await end(tx)
      slots.release()
      return undefined
    }
  } catch (error) {
    if (tx) await end(tx)
    slots.release()
    throw error
  }
  const held = tx
  let released = false
  return {
    held: () =>
      released
        ? Promise.resolve(false)
        : held`select 1`.then(
            () => true,
            () => false,
          ),
    async release() {
      if (released) return
      released = true
      await end(held)
      slots.release()
    },
  }
}

async function end(tx: Awaited<ReturnType<Sql['reserve']>>): Promise<void> {
  // A commit on a dead connection fails; PostgreSQL has ended the transaction then.
  await tx`commit`.simple().catch(() => {})
  tx.release()
}

function slotsOf(db: Sql): Slots {
  let slots = slotsByPool.get(db)
  if (!slots) {
    const max = Number((db.options as { max?: number }).max ?? 10)
    slots = new Slots(Math.max(1, Math.floor(max / 2)))
    slotsByPool.set(db, slots)
  }
  return slots
}

/** A counting semaphore: the sagas of one pool that may hold a lock at once. */
class Slots {
  #free: number
  readonly #waiting: (() => void)[] = []

  constructor(size: number) {
    this.#free = size
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--
      return
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }

  release(): void {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#free++
  }
}
