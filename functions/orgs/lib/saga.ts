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
 * Known gap: a process that dies mid-saga leaves the org `pending` (and perhaps a
 * namespace); the log shows how far it got. A sweeper that compensates old pending
 * sagas is the fix, not built yet.
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

interface Step {
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
  const orgId = org.id
  const record = (step: StepName, phase: 'apply' | 'compensate', error?: unknown) =>
    asSystem(
      db,
      'org-saga',
      (tx) => tx`
      insert into org_saga_steps (saga_id, step, phase, outcome, error)
      values (${sagaId}, ${step}, ${phase}, ${error === undefined ? 'succeeded' : 'failed'},
              ${error === undefined ? null : describeError(error, name)})`,
    )

  const steps: Step[] = [
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
      // complete log.
      apply: () =>
        asSystem(db, 'org-saga', (tx) => [
          tx`update orgs set status = 'committed' where id = ${orgId} and status = 'pending'`,
          tx`update org_sagas set status = 'committed' where id = ${sagaId}`,
          tx`insert into org_saga_steps (saga_id, step, phase, outcome)
             values (${sagaId}, 'commit', 'apply', 'succeeded')`,
        ]),
    },
  ]

  const started: Step[] = []
  for (const step of steps) {
    started.push(step)
    try {
      await deps.hooks?.beforeStep?.(step.name, orgId)
      await step.apply()
    } catch (error) {
      deps.log.warn({ saga_id: sagaId, org_id: orgId, step: step.name }, 'org saga step failed')
      await record(step.name, 'apply', error)
      await compensate(deps, started.reverse(), record, sagaId)
      await asSystem(db, 'org-saga', (tx) => [
        tx`update orgs set status = 'failed' where id = ${orgId}`,
        tx`update org_sagas set status = 'failed' where id = ${sagaId}`,
      ])
      return { ...org, status: 'failed', role: 'owner' }
    }
    if (step.name !== 'commit') await record(step.name, 'apply')
  }
  return { ...org, status: 'committed', role: 'owner' }
}

/** Best effort, newest first: one failed compensation does not stop the others. */
async function compensate(
  deps: SagaDeps,
  steps: Step[],
  record: (step: StepName, phase: 'compensate', error?: unknown) => Promise<unknown>,
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
  const message = error.message.split('\n')[0]?.replaceAll(orgName, '[org name]') ?? ''
  return `${error.name}${head}: ${message}`.slice(0, 300)
}
