import { randomUUID } from 'node:crypto'
import type { Sql } from 'postgres'
import type { Registry } from 'prom-client'
import { asSystem, type Tx } from '#shared/db/tenant.ts'
import { ApiError } from '#shared/http/errors.ts'
import type { Begun } from '#shared/http/idempotency.ts'
import type { Logger } from '#shared/log.ts'
import type { Provisioner } from '../provisioner/provisioner.ts'
import { orgMetrics } from './metrics.ts'
import type { Org } from './org.ts'
import { lockSaga, type SagaLock } from './saga-lock.ts'

/**
 * Org creation as a saga (DESIGN.md §2, org_sagas + org_saga_steps):
 *
 *   start:   orgs row `pending` + org_sagas row       (one transaction)
 *   step 1:  owner-membership   ↺ delete the membership
 *   step 2:  provision-tenant   ↺ provisioner.deprovision
 *   step 3:  commit             orgs + saga `committed` (one transaction, nothing to undo)
 *
 * A failing step runs the compensations of every step that started, the failed one
 * included (a provision can fail half-way; compensations are idempotent), newest first;
 * then the org and the saga are marked `failed`. The org row stays, so the creation
 * reads `failed`. Every apply and compensation is a row in org_saga_steps.
 *
 * Each step is its own transaction: no transaction stays open across the provisioner's
 * network calls, except the saga's lock (saga-lock.ts), held from before the start
 * commits until the saga ends, so that nobody else runs it meanwhile. The app role
 * cannot insert orgs or memberships, hence asSystem.
 *
 * With an Idempotency-Key (`SagaKey`), the start claims the key and records the saga,
 * and the answer is stored in the saga's last transaction. A process that dies mid-saga
 * leaves it `pending` and unlocked: a retry with the same key resumes it (every step is
 * idempotent) and answers with how it ended; without a retry, recovery
 * (saga-recovery.ts) later compensates it.
 */

export type StepName = 'owner-membership' | 'provision-tenant' | 'commit'

export interface SagaHooks {
  /** Called before each step's work; a throw fails that step (fault injection). */
  beforeStep?(step: StepName, orgId: string): void | Promise<void>
  /** Called after each step's work has committed (fault injection). */
  afterStep?(step: StepName, orgId: string): void | Promise<void>
}

export interface SagaDeps {
  db: Sql
  provisioner: Provisioner
  log: Logger
  hooks?: SagaHooks
  /** Where the end of each saga is counted (metrics.ts). */
  metrics?: Registry
}

/** How one creation is tied to the request's Idempotency-Key (the route's side of it). */
export interface SagaKey {
  /** In the start transaction: what an earlier request with the key left. */
  begin(tx: Tx): Promise<Begun>
  /** In the start transaction of a new saga: records it for the key. */
  started(tx: Tx, sagaId: string): Promise<void>
  /** In the saga's last transaction: the answer, committed with the saga's outcome. */
  finish(tx: Tx, org: Org): Promise<void>
}

/** The org as created; `resumed` when it is an earlier request's creation, finished now. */
export type SagaOutcome = { org: Org; resumed?: true } | { replay: Response }

export interface Step {
  name: StepName
  apply(): Promise<unknown>
  compensate?(): Promise<unknown>
}

export async function createOrgSaga(
  deps: SagaDeps,
  userId: string,
  name: string,
  key?: SagaKey,
): Promise<SagaOutcome> {
  const { db } = deps
  const sagaId = randomUUID()
  // A new id: nobody else can hold its lock. It is held before the start commits, so a
  // retry that sees the new saga also sees that it is running.
  const lock = (await lockSaga(db, sagaId)) as SagaLock
  try {
    const start = await asSystem(db, 'org-saga', async (tx) => {
      const begun = key ? await key.begin(tx) : ({ kind: 'new' } as const)
      if (begun.kind !== 'new') return begun
      const [row] = await tx<Omit<Org, 'role'>[]>`
        insert into orgs (name, created_by) values (${name}, ${userId})
        returning id, name, status, created_at`
      const org = row as Omit<Org, 'role'>
      await tx`insert into org_sagas (id, org_id, started_by) values (${sagaId}, ${org.id}, ${userId})`
      await key?.started(tx, sagaId)
      return { kind: 'started', org } as const
    })
    if (start.kind === 'replay') return { replay: start.response }
    if (start.kind === 'resume') {
      await lock.release()
      return { org: await resumeOrgSaga(deps, start.resource, key), resumed: true }
    }
    const ids: SagaIds = { sagaId, orgId: start.org.id, userId, orgName: name }
    return { org: await runSaga(deps, ids, start.org, lock, key) }
  } finally {
    await lock.release()
  }
}

/**
 * Runs a saga an earlier request started and did not finish answering: to its end if
 * it is still `pending`, or to the answer if it ended. 409 IDEMPOTENCY_KEY_IN_USE while
 * the saga runs elsewhere.
 */
async function resumeOrgSaga(deps: SagaDeps, sagaId: string, key?: SagaKey): Promise<Org> {
  const lock = await lockSaga(deps.db, sagaId)
  if (!lock) throw new ApiError('IDEMPOTENCY_KEY_IN_USE', { headers: { 'Retry-After': '1' } })
  try {
    const [saga] = await asSystem(
      deps.db,
      'org-saga',
      (tx) => tx<(Omit<Org, 'role'> & { started_by: string; saga_status: string })[]>`
        select o.id, o.name, o.status, o.created_at, s.started_by, s.status as saga_status
          from org_sagas s join orgs o on o.id = s.org_id where s.id = ${sagaId}`,
    )
    if (!saga) {
      throw new ApiError('ORG_NOT_FOUND', { detail: 'The org this key created has been deleted.' })
    }
    const { started_by, saga_status, ...org } = saga
    const ids: SagaIds = { sagaId, orgId: org.id, userId: started_by, orgName: org.name }
    deps.log.info({ saga_id: sagaId, org_id: org.id, status: saga_status }, 'org saga resumed')
    if (saga_status === 'pending') return await runSaga(deps, ids, org, lock, key)
    // It ended (recovery compensated it, say) before its answer was stored.
    const ended: Org = { ...org, role: 'owner' }
    if (key) await asSystem(deps.db, 'org-saga', (tx) => key.finish(tx, ended))
    return ended
  } finally {
    await lock.release()
  }
}

/** The steps in order, then the outcome; `lock` is this run's (checked before each step). */
async function runSaga(
  deps: SagaDeps,
  ids: SagaIds,
  org: Omit<Org, 'role'>,
  lock: SagaLock,
  key?: SagaKey,
): Promise<Org> {
  const record = recorder(deps.db, ids)
  const settle = (status: Org['status']) => (tx: Tx) =>
    key ? key.finish(tx, { ...org, status, role: 'owner' }) : Promise.resolve()
  const started: Step[] = []
  for (const step of sagaSteps(deps, ids, settle('committed'))) {
    await stillHeld(lock, ids)
    started.push(step)
    try {
      await deps.hooks?.beforeStep?.(step.name, ids.orgId)
      await step.apply()
    } catch (error) {
      deps.log.warn(
        { saga_id: ids.sagaId, org_id: ids.orgId, step: step.name },
        'org saga step failed',
      )
      await stillHeld(lock, ids)
      await record(step.name, 'apply', error)
      await compensate(deps, started.reverse(), record, ids.sagaId)
      await markFailed(deps.db, ids, settle('failed'))
      orgMetrics(deps.metrics).created('failed')
      return { ...org, status: 'failed', role: 'owner' }
    }
    if (step.name !== 'commit') await record(step.name, 'apply')
    await deps.hooks?.afterStep?.(step.name, ids.orgId)
  }
  orgMetrics(deps.metrics).created('committed')
  return { ...org, status: 'committed', role: 'owner' }
}

/**
 * A run that lost its lock (its connection to PostgreSQL dropped) may no longer be the
 * only one: it stops where it is, without compensating, and the request answers 503.
 * A retry or recovery, holding the lock, takes the saga from there.
 */
async function stillHeld(lock: SagaLock, ids: SagaIds): Promise<void> {
  if (await lock.held()) return
  throw Object.assign(new Error(`the lock of saga ${ids.sagaId} was lost`), {
    code: 'CONNECTION_CLOSED',
  })
}

/** What identifies one saga run; the org's name only to keep it out of stored errors. */
export interface SagaIds {
  sagaId: string
  orgId: string
  userId: string
  orgName: string
}

type StepRecorder = (
  step: StepName,
  phase: 'apply' | 'compensate',
  error?: unknown,
) => Promise<unknown>

/** Appends to the saga's step log. */
export function recorder(db: Sql, { sagaId, orgName }: SagaIds): StepRecorder {
  return (step, phase, error) =>
    asSystem(
      db,
      'org-saga',
      (tx) => tx`
      insert into org_saga_steps (saga_id, step, phase, outcome, error)
      values (${sagaId}, ${step}, ${phase}, ${error === undefined ? 'succeeded' : 'failed'},
              ${error === undefined ? null : describeError(error, orgName)})`,
    )
}

/**
 * The steps in order; recovery runs the same compensations. `committed` runs in the
 * commit step's transaction (the stored answer of an Idempotency-Key).
 */
export function sagaSteps(
  deps: SagaDeps,
  { sagaId, orgId, userId }: SagaIds,
  committed: (tx: Tx) => Promise<void> = async () => {},
): Step[] {
  const { db } = deps
  return [
    {
      name: 'owner-membership',
      apply: () =>
        asSystem(
          db,
          'org-saga',
          (tx) => tx`
          insert into memberships (org_id, user_id, role) values (${orgId}, ${userId}, 'owner')
          on conflict (org_id, user_id) do nothing`,
        ),
      compensate: () =>
        asSystem(
          db,
          'org-saga',
          (tx) => tx`delete from memberships where org_id = ${orgId} and user_id = ${userId}`,
        ),
    },
    {
      name: 'provision-tenant',
      apply: () => deps.provisioner.provision(orgId),
      compensate: () => deps.provisioner.deprovision(orgId),
    },
    {
      name: 'commit',
      // The status flip, its log line and the stored answer commit together: a committed
      // org always has a complete log. Only a saga still `pending` commits.
      apply: () =>
        asSystem(db, 'org-saga', async (tx) => {
          const [claimed] = await Promise.all([
            tx`update org_sagas set status = 'committed'
                where id = ${sagaId} and status = 'pending' returning id`,
            tx`update orgs set status = 'committed'
                where id = ${orgId} and status = 'pending'
                  and exists (select 1 from org_sagas where id = ${sagaId} and status = 'committed')`,
            tx`insert into org_saga_steps (saga_id, step, phase, outcome)
               select ${sagaId}, 'commit', 'apply', 'succeeded'
                where exists (select 1 from org_sagas where id = ${sagaId} and status = 'committed')`,
          ])
          if (claimed.length === 0) throw new Error('the saga is no longer pending')
          await committed(tx)
        }),
    },
  ]
}

/**
 * The org and its saga end `failed`; the org row stays, so the creation reads failed.
 * `failed` runs in the same transaction (the stored answer of an Idempotency-Key).
 */
export async function markFailed(
  db: Sql,
  { sagaId, orgId }: SagaIds,
  failed: (tx: Tx) => Promise<void> = async () => {},
): Promise<void> {
  await asSystem(db, 'org-saga', async (tx) => {
    await Promise.all([
      tx`update orgs set status = 'failed' where id = ${orgId} and status <> 'committed'`,
      tx`update org_sagas set status = 'failed' where id = ${sagaId}`,
    ])
    await failed(tx)
  })
}

/** Best effort, newest first: one failed compensation does not stop the others. */
export async function compensate(
  deps: SagaDeps,
  steps: Step[],
  record: StepRecorder,
  sagaId: string,
): Promise<void> {
  for (const step of steps) {
    if (!step.compensate) continue
    try {
      await step.compensate()
      await record(step.name, 'compensate')
    } catch (error) {
      // Left for an operator: the log row says which resource may remain.
      deps.log.error({ saga_id: sagaId, step: step.name }, 'org saga compensation failed')
      await record(step.name, 'compensate', error)
    }
  }
}

/**
 * The error as stored in the log: its kind and status, and a short message with the
 * org's name cut out (the name is user input; ids are not personal data).
 */
export function describeError(error: unknown, orgName: string): string {
  if (!(error instanceof Error)) return 'non-error thrown'
  const status = (error as { code?: unknown }).code
  const head = typeof status === 'number' || typeof status === 'string' ? ` ${status}` : ''
  const first = error.message.split('\n')[0] ?? ''
  const message = orgName === '' ? first : first.replaceAll(orgName, '[org name]')
  return `${error.name}${head}: ${message}`.slice(0, 300)
}
