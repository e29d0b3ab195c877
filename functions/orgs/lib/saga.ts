import type { Sql } from 'postgres'
import { asSystem } from '#shared/db/tenant.ts'
import type { Logger } from '#shared/log.ts'
import type { Provisioner } from '../provisioner/provisioner.ts'
import type { Org } from './org.ts'

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
 * network calls. The app role cannot insert orgs or memberships, hence asSystem.
 *
 * A process that dies mid-saga leaves the org and the saga `pending`; recovery
 * (saga-recovery.ts) later takes such a saga over and compensates it.
 */

export type StepName = 'owner-membership' | 'provision-tenant' | 'commit'

export interface SagaHooks {
  /** Called before each step's work; a throw fails that step (fault injection). */
  beforeStep?(step: StepName, orgId: string): void | Promise<void>
}

export interface SagaDeps {
  db: Sql
  provisioner: Provisioner
  log: Logger
  hooks?: SagaHooks
}

export interface Step {
  name: StepName
  apply(): Promise<unknown>
  compensate?(): Promise<unknown>
}

export async function createOrgSaga(deps: SagaDeps, userId: string, name: string): Promise<Org> {
  const { db } = deps
  const { org, sagaId } = await asSystem(db, 'org-saga', async (tx) => {
    const [row] = await tx<Omit<Org, 'role'>[]>`
      insert into orgs (name, created_by) values (${name}, ${userId})
      returning id, name, status, created_at`
    const created = row as Omit<Org, 'role'>
    const [saga] = await tx<{ id: string }[]>`
      insert into org_sagas (org_id, started_by) values (${created.id}, ${userId}) returning id`
    return { org: created, sagaId: (saga as { id: string }).id }
  })
  const ids: SagaIds = { sagaId, orgId: org.id, userId, orgName: name }
  const record = recorder(db, ids)

  const started: Step[] = []
  for (const step of sagaSteps(deps, ids)) {
    started.push(step)
    try {
      await deps.hooks?.beforeStep?.(step.name, ids.orgId)
      await step.apply()
    } catch (error) {
      deps.log.warn({ saga_id: sagaId, org_id: ids.orgId, step: step.name }, 'org saga step failed')
      await record(step.name, 'apply', error)
      await compensate(deps, started.reverse(), record, sagaId)
      await markFailed(db, ids)
      return { ...org, status: 'failed', role: 'owner' }
    }
    if (step.name !== 'commit') await record(step.name, 'apply')
  }
  return { ...org, status: 'committed', role: 'owner' }
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

/** The steps in order; recovery runs the same compensations. */
export function sagaSteps(deps: SagaDeps, { sagaId, orgId, userId }: SagaIds): Step[] {
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
      // The status flip and its log line commit together: a committed org always has a
      // complete log. Only a saga still `pending` commits: one that recovery took as
      // abandoned (saga-recovery.ts) has had its steps undone, so this one fails too.
      apply: async () => {
        const [claimed] = await asSystem(db, 'org-saga', (tx) => [
          tx`update org_sagas set status = 'committed'
              where id = ${sagaId} and status = 'pending' returning id`,
          tx`update orgs set status = 'committed'
              where id = ${orgId} and status = 'pending'
                and exists (select 1 from org_sagas where id = ${sagaId} and status = 'committed')`,
          tx`insert into org_saga_steps (saga_id, step, phase, outcome)
             select ${sagaId}, 'commit', 'apply', 'succeeded'
              where exists (select 1 from org_sagas where id = ${sagaId} and status = 'committed')`,
        ])
        if (claimed.length === 0) throw new Error('the saga was taken over by recovery')
      },
    },
  ]
}

/** The org and its saga end `failed`; the org row stays, so the creation reads failed. */
export async function markFailed(db: Sql, { sagaId, orgId }: SagaIds): Promise<void> {
  await asSystem(db, 'org-saga', (tx) => [
    tx`update orgs set status = 'failed' where id = ${orgId} and status <> 'committed'`,
    tx`update org_sagas set status = 'failed' where id = ${sagaId}`,
  ])
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
