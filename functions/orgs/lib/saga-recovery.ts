import { asSystem } from '#shared/db/tenant.ts'
import { compensate, markFailed, recorder, type SagaDeps, type SagaIds, sagaSteps } from './saga.ts'

/**
 * Recovery of org sagas a process left `pending` by dying mid-way (a crash, a kill, a
 * node lost). Each such saga is taken over and ends as if its last step had failed:
 * every compensation runs (they are idempotent, so a step that never ran costs
 * nothing), newest first, each logged in org_saga_steps; then org and saga are `failed`.
 *
 * Taking over is one UPDATE from `pending` to `failed` (SKIP LOCKED, so replicas
 * sweeping at once take different sagas). The saga's own commit step commits only from
 * `pending`, so a saga that was merely slow cannot commit after it was taken over: it
 * fails and compensates too, and the org never reads `committed` with its resources gone.
 */

/** A saga older than this is abandoned: far longer than its three steps ever take. */
export const ABANDONED_AFTER_MS = 10 * 60_000
/** How often each orgs replica looks, with up to a fifth of it added at random. */
export const RECOVERY_INTERVAL_MS = 5 * 60_000

interface Abandoned {
  id: string
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
  for (;;) {
    const [saga] = await asSystem(
      deps.db,
      'org-saga',
      (tx) => tx<Abandoned[]>`
      with taken as (
        update org_sagas set status = 'failed'
         where id = (select id from org_sagas
                      where status = 'pending'
                        and created_at < now() - make_interval(secs => ${abandonedAfterMs / 1000})
                      order by created_at
                      limit 1
                        for update skip locked)
        returning id, org_id, started_by)
      select taken.*, orgs.name from taken left join orgs on orgs.id = taken.org_id`,
    )
    if (!saga) return recovered
    const ids: SagaIds = {
      sagaId: saga.id,
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
    recovered++
  }
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
