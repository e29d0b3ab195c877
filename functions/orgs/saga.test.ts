import { describe, expect, it } from 'vitest'
import { useTestKit } from '#test/harness/app.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { createUser } from '#test/harness/fixtures.ts'
import { orgs } from './function.ts'
import type { StepName } from './lib/saga.ts'
import { FakeProvisioner, sagaState } from './test-support.ts'

const kit = useTestKit()
const call = kit.call
const db = useTestDatabase()

const state = (orgId: string) => sagaState(db.admin, orgId)

describe('org creation saga', () => {
  it('logs every step of a successful creation', async () => {
    const provisioner = new FakeProvisioner()
    const a = await kit.app(orgs, { db: db.app, with: { provisioner } })
    const user = await createUser(db.admin)
    const res = await call(a, 'POST', '/v1/orgs', { as: user, body: { name: 'Fine' } })
    expect(await state(res.body.id)).toEqual({
      org: 'committed',
      saga: 'committed',
      members: 1,
      steps: [
        'owner-membership apply succeeded',
        'provision-tenant apply succeeded',
        'commit apply succeeded',
      ],
      errors: [null, null, null],
    })
  })

  // A failure injected before each step is a failure after the one before it.
  const cases: Array<[StepName, string[]]> = [
    [
      'owner-membership',
      ['owner-membership apply failed', 'owner-membership compensate succeeded'],
    ],
    [
      'provision-tenant',
      [
        'owner-membership apply succeeded',
        'provision-tenant apply failed',
        'provision-tenant compensate succeeded',
        'owner-membership compensate succeeded',
      ],
    ],
    [
      'commit',
      [
        'owner-membership apply succeeded',
        'provision-tenant apply succeeded',
        'commit apply failed',
        'provision-tenant compensate succeeded',
        'owner-membership compensate succeeded',
      ],
    ],
  ]
  for (const [failing, expected] of cases) {
    it(`compensates everything when ${failing} fails, and a retry with the same key is safe`, async () => {
      const provisioner = new FakeProvisioner()
      const a = await kit.app(orgs, {
        db: db.app,
        with: {
          provisioner,
          sagaHooks: {
            beforeStep(step) {
              if (step === failing) throw new Error(`injected failure (Secret Org Name)`)
            },
          },
        },
      })
      const user = await createUser(db.admin)
      const key = { 'idempotency-key': `saga-${failing}` }
      const res = await call(a, 'POST', '/v1/orgs', {
        as: user,
        body: { name: 'Secret Org Name' },
        headers: key,
      })
      expect(res.status, res.text).toBe(201)
      expect(res.body).toMatchObject({ name: 'Secret Org Name', status: 'failed', role: 'owner' })
      const after = await state(res.body.id)
      expect(after).toMatchObject({ org: 'failed', saga: 'failed', members: 0, steps: expected })
      expect(provisioner.resources.size).toBe(0)
      // The error is logged, without the org's name (user input).
      const logged = after.errors.filter(Boolean).join(' ')
      expect(logged).toContain('injected failure')
      expect(logged).not.toContain('Secret Org Name')

      const retry = await call(a, 'POST', '/v1/orgs', {
        as: user,
        body: { name: 'Secret Org Name' },
        headers: key,
      })
      expect(retry.status).toBe(201)
      expect(retry.text).toBe(res.text)
      expect(retry.headers.get('idempotent-replayed')).toBe('true')
      const [orgCount] =
        await db.admin`select count(*)::int as n from orgs where created_by = ${user.id}`
      expect(orgCount?.n).toBe(1)
      expect((await call(a, 'GET', '/v1/orgs', { as: user })).body.items).toEqual([])
    })
  }

  it('removes what a provisioner made before it failed part-way', async () => {
    const provisioner = new FakeProvisioner()
    provisioner.fail = 'provision-after'
    const a = await kit.app(orgs, { db: db.app, with: { provisioner } })
    const user = await createUser(db.admin)
    const res = await call(a, 'POST', '/v1/orgs', { as: user, body: { name: 'Half' } })
    expect(res.body.status).toBe('failed')
    expect(provisioner.resources.size).toBe(0)
    expect(provisioner.calls).toEqual([`provision ${res.body.id}`, `deprovision ${res.body.id}`])
    const after = await state(res.body.id)
    expect(after).toMatchObject({ org: 'failed', saga: 'failed', members: 0 })
    expect(after.errors[1]).toBe('Error: network policy rejected')
  })

  it('logs a compensation that fails and still marks the org failed', async () => {
    const provisioner = new FakeProvisioner()
    const a = await kit.app(orgs, {
      db: db.app,
      with: {
        provisioner,
        sagaHooks: {
          beforeStep(step) {
            if (step === 'commit') {
              provisioner.fail = 'deprovision'
              throw new Error('commit refused')
            }
          },
        },
      },
    })
    const user = await createUser(db.admin)
    const res = await call(a, 'POST', '/v1/orgs', { as: user, body: { name: 'Stuck' } })
    const after = await state(res.body.id)
    expect(after).toMatchObject({
      org: 'failed',
      saga: 'failed',
      members: 0,
      steps: [
        'owner-membership apply succeeded',
        'provision-tenant apply succeeded',
        'commit apply failed',
        'provision-tenant compensate failed',
        'owner-membership compensate succeeded',
      ],
    })
    expect(after.errors[3]).toBe('Error: api server down')
    // Left for an operator, and the log says so.
    expect(provisioner.resources.has(res.body.id)).toBe(true)
  })

  it('creates one org for concurrent requests with the same Idempotency-Key', async () => {
    const a = await kit.app(orgs, { db: db.app })
    const user = await createUser(db.admin)
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        call(a, 'POST', '/v1/orgs', {
          as: user,
          body: { name: 'Once' },
          headers: { 'idempotency-key': 'same' },
        }),
      ),
    )
    for (const r of results) expect([201, 409], r.text).toContain(r.status)
    const [orgCount] =
      await db.admin`select count(*)::int as n from orgs where created_by = ${user.id}`
    expect(orgCount?.n).toBe(1)
    const reused = await call(a, 'POST', '/v1/orgs', {
      as: user,
      body: { name: 'Other' },
      headers: { 'idempotency-key': 'same' },
    })
    expect([reused.status, reused.body.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED'])
  })
})
