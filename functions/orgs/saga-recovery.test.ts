import { describe, expect, it } from 'vitest'
import { createLogger } from '#shared/log.ts'
import { type Answer, useTestKit } from '#test/harness/app.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { createUser } from '#test/harness/fixtures.ts'
import { orgs } from './function.ts'
import type { StepName } from './lib/saga.ts'
import { recoverAbandonedSagas, startSagaRecovery } from './lib/saga-recovery.ts'
import { FakeProvisioner, sagaState } from './test-support.ts'

/**
 * A process that dies mid-saga: simulated by a saga held before one of its steps whose
 * lock's session is then ended (for the database its process is gone; saga-lock.ts),
 * then recovery runs against it. The held run, released later, finds its lock lost
 * and stops without touching the saga, as a process that lost its database would.
 */

const kit = useTestKit()
const call = kit.call
const db = useTestDatabase({ appPool: 8 })
const log = createLogger('test', { level: 'silent' })

/** An orgs app whose sagas stop before `step` until released. */
async function heldBefore(step: StepName) {
  const provisioner = new FakeProvisioner()
  let release!: () => void
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  const reached: string[] = []
  const app = await kit.app(orgs, {
    db: db.app,
    with: {
      provisioner,
      sagaHooks: {
        async beforeStep(name, orgId) {
          if (name !== step) return
          reached.push(orgId)
          await released
        },
      },
    },
  })
  return { app, provisioner, release, reached }
}

/** POST /v1/orgs as a new user, held before `step`: its org id and the pending answer. */
async function createOrgHeldBefore(step: StepName, name: string) {
  const held = await heldBefore(step)
  const user = await createUser(db.admin)
  const pending = call(held.app, 'POST', '/v1/orgs', { as: user, body: { name } })
  await until(() => held.reached.length === 1)
  return { held, pending, orgId: held.reached[0] as string }
}

/** Ends the session holding the saga's lock, as the death of its process does. */
async function abandon(orgId: string): Promise<void> {
  const [saga] = await db.admin<{ id: string }[]>`select id from org_sagas where org_id = ${orgId}`
  const [holder] = await db.admin<{ pid: number }[]>`
    select pid from pg_locks where locktype = 'advisory' and granted
       and objid = (hashtextextended(${`org-saga:${saga?.id}`}, 0) & 4294967295)::oid`
  expect(holder, 'the running saga holds its lock').toBeDefined()
  await db.admin`select pg_terminate_backend(${holder?.pid as number})`
}

/** The held run's answer once released: it lost its lock, so 503 and nothing more. */
async function expectStopped(pending: Promise<Answer>): Promise<void> {
  const res = await pending
  expect([res.status, res.body.code], res.text).toEqual([503, 'UNAVAILABLE'])
}

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('condition not reached within 2 s')
}

const state = (orgId: string) => sagaState(db.admin, orgId)

describe('recovery of abandoned org sagas', () => {
  it('compensates a saga whose process died after provisioning; the stopped run does not resume', async () => {
    const { held, pending, orgId } = await createOrgHeldBefore('commit', 'Abandoned')
    expect(held.provisioner.resources.has(orgId)).toBe(true)
    await abandon(orgId)

    expect(await recoverAbandonedSagas({ db: db.app, provisioner: held.provisioner, log }, 0)).toBe(
      1,
    )
    const expected = {
      org: 'failed',
      saga: 'failed',
      members: 0,
      steps: [
        'owner-membership apply succeeded',
        'provision-tenant apply succeeded',
        'provision-tenant compensate succeeded',
        'owner-membership compensate succeeded',
      ],
    }
    expect(await state(orgId)).toMatchObject(expected)
    expect(held.provisioner.resources.size).toBe(0)

    // The run that lost its lock must not commit the org again, nor compensate twice.
    held.release()
    await expectStopped(pending)
    expect(await state(orgId)).toMatchObject(expected)
    expect(held.provisioner.resources.size).toBe(0)
  })

  it('leaves a running saga alone, however old', async () => {
    const { held, pending, orgId } = await createOrgHeldBefore('provision-tenant', 'Running')
    expect(await recoverAbandonedSagas({ db: db.app, provisioner: held.provisioner, log }, 0)).toBe(
      0,
    )
    expect(await state(orgId)).toMatchObject({ org: 'pending', saga: 'pending', members: 1 })
    held.release()
    expect((await pending).body.status).toBe('committed')
    expect(await state(orgId)).toMatchObject({ org: 'committed', saga: 'committed', members: 1 })
  })

  it('leaves a saga younger than the abandonment age alone', async () => {
    const { held, pending, orgId } = await createOrgHeldBefore('provision-tenant', 'Just slow')

    expect(await recoverAbandonedSagas({ db: db.app, provisioner: held.provisioner, log })).toBe(0)
    expect(await state(orgId)).toMatchObject({ org: 'pending', saga: 'pending', members: 1 })

    held.release()
    expect((await pending).body.status).toBe('committed')
    expect(await state(orgId)).toMatchObject({ org: 'committed', saga: 'committed', members: 1 })
  })

  it('takes each abandoned saga once when replicas sweep at the same time', async () => {
    const held = await heldBefore('provision-tenant')
    const user = await createUser(db.admin)
    const requests = [1, 2, 3].map((n) =>
      call(held.app, 'POST', '/v1/orgs', { as: user, body: { name: `Racing ${n}` } }),
    )
    await until(() => held.reached.length === 3)
    for (const orgId of held.reached) await abandon(orgId)
    const deps = { db: db.app, provisioner: held.provisioner, log }
    const counts = await Promise.all([
      recoverAbandonedSagas(deps, 0),
      recoverAbandonedSagas(deps, 0),
    ])
    expect(counts[0] + counts[1]).toBe(3)
    for (const orgId of held.reached) {
      const s = await state(orgId)
      expect(s).toMatchObject({ org: 'failed', saga: 'failed', members: 0 })
      expect(
        s.steps.filter((step) => step === 'owner-membership compensate succeeded'),
      ).toHaveLength(1)
    }
    held.release()
    for (const request of requests) await expectStopped(request)
  })

  it('sweeps as soon as it starts, and stop() waits for the sweep in progress', async () => {
    const { held, pending, orgId } = await createOrgHeldBefore('provision-tenant', 'Swept')
    await abandon(orgId)

    const stop = startSagaRecovery(
      { db: db.app, provisioner: held.provisioner, log },
      { abandonedAfterMs: 0, intervalMs: 60_000 },
    )
    try {
      await until(async () => (await state(orgId)).org === 'failed')
    } finally {
      await stop()
    }
    held.release()
    await expectStopped(pending)
  })
})
