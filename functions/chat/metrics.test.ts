import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { useTestKit } from '#test/harness/app.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { createOrg, createProject, createUser } from '#test/harness/fixtures.ts'
import { chat as chatFunction } from './function.ts'

/**
 * The chat function's business counters: a chat opened once its row committed (not for
 * an Idempotency-Key replay), closed once it went from active to closed (not for a close
 * of a closed chat, which answers 204 too).
 */

const kit = useTestKit()
const call = kit.call
const db = useTestDatabase()

const value = async (registry: Registry, name: string) =>
  (await registry.getSingleMetric(name)?.get())?.values[0]?.value

describe('chat business metrics', () => {
  it('count chats opened and closed, once each', async () => {
    const registry = new Registry()
    const { app } = await kit.build(chatFunction, { db: db.app, with: { metrics: registry } })
    const user = await createUser(db.admin)
    const project = await createProject(db.admin, await createOrg(db.admin, user))
    const key = { 'idempotency-key': 'metrics-chat' }
    const path = `/v1/projects/${project.id}/chats`
    const opened = await call(app, 'POST', path, { as: user, headers: key })
    expect(opened.status, opened.text).toBe(201)
    const replay = await call(app, 'POST', path, { as: user, headers: key })
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    expect(await value(registry, 'chats_opened_total')).toBe(1)
    // Eight at once with one key: still one chat.
    const both = { 'idempotency-key': 'metrics-chat-race' }
    const raced = await Promise.all(
      Array.from({ length: 8 }, () => call(app, 'POST', path, { as: user, headers: both })),
    )
    // Each waits for the first's transaction, then replays its answer from inside the
    // handler; one that finds the key still claimed answers 409 IDEMPOTENCY_KEY_IN_USE.
    for (const res of raced) expect([201, 409], res.text).toContain(res.status)
    const ids = new Set(raced.filter((res) => res.status === 201).map((res) => res.body.id))
    expect(ids.size).toBe(1)
    expect(await value(registry, 'chats_opened_total')).toBe(2)
    await call(app, 'DELETE', `/v1/chats/${[...ids][0]}`, { as: user })

    const chat = `/v1/chats/${opened.body.id}`
    expect((await call(app, 'DELETE', chat, { as: user })).status).toBe(204)
    expect((await call(app, 'DELETE', chat, { as: user })).status).toBe(204)
    expect(await value(registry, 'chats_closed_total')).toBe(2)
  })
})
