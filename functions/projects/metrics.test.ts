import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { useTestKit } from '#test/harness/app.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { orgWithRoles } from '#test/harness/fixtures.ts'
import { projects } from './function.ts'

/**
 * The projects function's business counters: a creation once it committed (not for an
 * Idempotency-Key replay, nor a refused one), a deletion once it happened.
 */

const kit = useTestKit()
const call = kit.call
const db = useTestDatabase()

const value = async (registry: Registry, name: string) =>
  (await registry.getSingleMetric(name)?.get())?.values[0]?.value

describe('projects business metrics', () => {
  it('count creations and deletions that happened, and nothing else', async () => {
    const registry = new Registry()
    const app = await kit.app(projects, { db: db.app, with: { metrics: registry } })
    expect(await value(registry, 'projects_created_total')).toBe(0)
    expect(await value(registry, 'projects_deleted_total')).toBe(0)

    const w = await orgWithRoles(db.admin)
    const path = `/v1/orgs/${w.org.id}/projects`
    const key = { 'idempotency-key': 'metrics-project' }
    const created = await call(app, 'POST', path, {
      as: w.admin,
      body: { name: 'P' },
      headers: key,
    })
    expect(created.status, created.text).toBe(201)
    const replay = await call(app, 'POST', path, { as: w.admin, body: { name: 'P' }, headers: key })
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    // Refused: a plain member may not create, and the name is taken.
    expect((await call(app, 'POST', path, { as: w.member, body: { name: 'Q' } })).status).toBe(403)
    expect((await call(app, 'POST', path, { as: w.admin, body: { name: 'P' } })).status).toBe(409)
    expect(await value(registry, 'projects_created_total')).toBe(1)
    // Eight at once with one key: still one creation.
    const both = { 'idempotency-key': 'metrics-project-race' }
    const raced = await Promise.all(
      Array.from({ length: 8 }, () =>
        call(app, 'POST', path, { as: w.admin, body: { name: 'R' }, headers: both }),
      ),
    )
    // Each waits for the first's transaction, then replays its answer from inside the
    // handler; one that finds the key still claimed answers 409 IDEMPOTENCY_KEY_IN_USE.
    for (const res of raced) expect([201, 409], res.text).toContain(res.status)
    expect(await value(registry, 'projects_created_total')).toBe(2)

    const gone = `/v1/projects/${created.body.id}`
    expect((await call(app, 'DELETE', gone, { as: w.admin })).status).toBe(204)
    expect((await call(app, 'DELETE', gone, { as: w.admin })).status).toBe(404)
    expect(await value(registry, 'projects_deleted_total')).toBe(1)
  })
})
