import { asSystem } from '#shared/db/tenant.ts'
import { orgMetrics } from './metrics.ts'
import { compensate, markFailed, recorder, type SagaDeps, type SagaIds, sagaSteps } from './saga.ts'
import { lockSaga } from './saga-lock.ts'

/**
 * Recovery of org sagas a process left `pending` by dying mid-way (a crash, a kill, a
 * node lost) and that no retry has resumed. Each such saga is taken over and ends as if
 * its last step had failed: every compensation runs (they are idempotent, so a step
 * that never ran costs nothing), newest first, each logged in org_saga_steps; then org
 * and saga are `failed`.
 *
 * A saga is taken over only while its lock is free (saga-lock.ts): the process running
 * it holds the lock until it ends, so a saga that is merely slow is never taken from a
 * live process, and a retry that resumed it holds the lock too. Of replicas sweeping at
 * once, the one that gets the lock and moves the saga from `pending` to `failed` takes
 * it; the others skip it. The age keeps a saga whose process died available to the
 * client's retry for a while, which completes it instead.
 */

/** A saga older than this is abandoned: far longer than its three steps ever take. */
export const ABANDONED_AFTER_MS = 10 * 60_000
/** How often each orgs replica looks, with up to a fifth of it added at random. */
export const RECOVERY_INTERVAL_MS = 5 * 60_000
/** Sagas looked at per round of a sweep. */
const BATCH = 20

interface Abandoned {
  org_id: string
  started_by: string
  name: string | null
}

/** Takes over and compensates every abandoned saga; resolves to how many it recovered. */
export async function recoverAbandonedSagas(
  deps: SagaDeps,
  abandonedAfterMs: number = ABANDONED_AFTER_MS,
): Promise<number> {
  let recovered = 0
  const skipped = new Set<string>()
  for (;;) {
    const candidates = await asSystem(
      deps.db,
      'org-saga',
      (tx) => tx<{ id: string }[]>`
      select id from org_sagas
       where status = 'pending'
         and created_at < now() - make_interval(secs => ${abandonedAfterMs / 1000})
       order by created_at
       limit ${BATCH + skipped.size}`,
    )
    const fresh = candidates.filter((saga) => !skipped.has(saga.id))
    if (fresh.length === 0) return recovered
    for (const { id } of fresh) {
      skipped.add(id)
      const lock = await lockSaga(deps.db, id)
      if (!lock) continue // running, in a live process
      try {
        if (await takeOver(deps, id)) recovered++
      } finally {
        await lock.release()
      }
    }
  }
}

/** With the saga's lock held: `pending` → `failed`, then its compensations. */
async function takeOver(deps: SagaDeps, sagaId: string): Promise<boolean> {
  const [saga] = await asSystem(
    deps.db,
    'org-saga',
    (tx) => tx<Abandoned[]>`
    with taken as (
      update org_sagas set status = 'failed'
       where id = ${sagaId} and status = 'pending'
      returning org_id, started_by)
    select taken.*, orgs.name from taken left join orgs on orgs.id = taken.org_id`,
  )
  if (!saga) return false // ended meanwhile
  const ids: SagaIds = {
    sagaId,
    orgId: saga.org_id,
    userId: saga.started_by,
    orgName: saga.name ?? '',
  }
  deps.log.warn({ saga_id: ids.sagaId, org_id: ids.orgId }, 'org saga abandoned; compensating')
  const undo = sagaSteps(deps, ids)
    .filter((step) => step.compensate)
    .reverse()
  await compensate(deps, undo, recorder(deps.db, ids), ids.sagaId)
  await markFailed(deps.db, ids)
  orgMetrics(deps.metrics).created('abandoned')
  return true
}

/**
 * Runs recovery now and then every interval (jittered) until the returned stop() is
 * called; stop() resolves once a sweep in progress has finished, so the pool can close
 * after it. A failed sweep (the database unreachable, say) is logged and tried again at
 * the next one.
 */
export function startSagaRecovery(
  deps: SagaDeps,
  options: { intervalMs?: number; abandonedAfterMs?: number } = {},
): () => Promise<void> {
  const intervalMs = options.intervalMs ?? RECOVERY_INTERVAL_MS
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let stopped = false
  const sweep = async () => {
    try {
      const recovered = await recoverAbandonedSagas(deps, options.abandonedAfterMs)
      if (recovered > 0) deps.log.info({ recovered }, 'abandoned org sagas compensated')
    } catch (error) {
      deps.log.error({ err: error }, 'org saga recovery failed; trying again later')
    }
  }
  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      running = sweep().finally(() => {
        running = undefined
        if (!stopped) schedule(intervalMs + Math.random() * intervalMs * 0.2)
      })
    }, delayMs)
    timer.unref()
  }
  schedule(0)
  return async () => {
    stopped = true
    clearTimeout(timer)
    await running
  }
}
