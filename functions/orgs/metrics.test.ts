import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createLogger } from '#shared/log.ts'
import { useTestKit } from '#test/harness/app.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { createUser } from '#test/harness/fixtures.ts'
import { orgs } from './function.ts'
import { recoverAbandonedSagas } from './lib/saga-recovery.ts'
import { FakeProvisioner } from './test-support.ts'

/**
 * The orgs function's business counters: one creation per saga by how it ended (an
 * Idempotency-Key replay counts nothing), one deletion per org deleted, and the series
 * present at 0 as soon as the app is built.
 */

const kit = useTestKit()
const call = kit.call
const db = useTestDatabase()

async function counted(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const name of ['orgs_created_total', 'orgs_deleted_total']) {
    for (const { labels, value } of (await registry.getSingleMetric(name)?.get())?.values ?? []) {
      const outcome = labels.outcome === undefined ? '' : `{${labels.outcome}}`
      out[`${name}${outcome}`] = value
    }
  }
  return out
}

async function orgsApp(registry: Registry, failing?: 'provision-tenant') {
  return kit.app(orgs, {
    db: db.app,
    with: {
      metrics: registry,
      provisioner: new FakeProvisioner(),
      ...(failing
        ? {
            sagaHooks: {
              beforeStep(step) {
                if (step === failing) throw new Error('injected failure')
              },
            },
          }
        : {}),
    },
  })
}

describe('orgs business metrics', () => {
  it('start every series at 0 when the app is built', async () => {
    const registry = new Registry()
    await orgsApp(registry)
    expect(await counted(registry)).toEqual({
      'orgs_created_total{committed}': 0,
      'orgs_created_total{failed}': 0,
      'orgs_created_total{abandoned}': 0,
      orgs_deleted_total: 0,
    })
  })

  it('count a committed creation once, replays not at all, and a deletion', async () => {
    const registry = new Registry()
    const app = await orgsApp(registry)
    const user = await createUser(db.admin)
    const key = { 'idempotency-key': 'metrics-create' }
    const created = await call(app, 'POST', '/v1/orgs', {
      as: user,
      body: { name: 'M' },
      headers: key,
    })
    expect(created.status, created.text).toBe(201)
    const replay = await call(app, 'POST', '/v1/orgs', {
      as: user,
      body: { name: 'M' },
      headers: key,
    })
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    const deleted = await call(app, 'DELETE', `/v1/orgs/${created.body.id}`, { as: user })
    expect(deleted.status, deleted.text).toBe(204)
    // A second delete finds nothing: 404, and nothing more is counted.
    expect((await call(app, 'DELETE', `/v1/orgs/${created.body.id}`, { as: user })).status).toBe(
      404,
    )
    expect(await counted(registry)).toMatchObject({
      'orgs_created_total{committed}': 1,
      'orgs_created_total{failed}': 0,
      orgs_deleted_total: 1,
    })
  })

  it('count a compensated creation as failed', async () => {
    const registry = new Registry()
    const app = await orgsApp(registry, 'provision-tenant')
    const res = await call(app, 'POST', '/v1/orgs', {
      as: await createUser(db.admin),
      body: { name: 'F' },
    })
    expect(res.body.status, res.text).toBe('failed')
    expect(await counted(registry)).toMatchObject({
      'orgs_created_total{committed}': 0,
      'orgs_created_total{failed}': 1,
    })
  })

  it('count a saga recovery took over as abandoned', async () => {
    const registry = new Registry()
    const user = await createUser(db.admin)
    const [org] = await db.admin<{ id: string }[]>`
      insert into orgs (name, created_by) values ('Abandoned', ${user.id}) returning id`
    await db.admin`
      insert into org_sagas (id, org_id, started_by)
      values (gen_random_uuid(), ${org?.id as string}, ${user.id})`
    await new Promise((resolve) => setTimeout(resolve, 5))
    const recovered = await recoverAbandonedSagas(
      {
        db: db.app,
        provisioner: new FakeProvisioner(),
        log: createLogger('test', { level: 'silent' }),
        metrics: registry,
      },
      0,
    )
    expect(recovered).toBeGreaterThanOrEqual(1)
    expect((await counted(registry))['orgs_created_total{abandoned}']).toBe(recovered)
  })
})
