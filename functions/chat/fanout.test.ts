import { afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { createTestAuth, type TestAuth, useJwksServer } from '#test/harness/auth.ts'
import { Client, openEvents } from '#test/harness/chat-server.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { chatOwner as fixtureChatOwner } from '#test/harness/fixtures.ts'
import { freePort } from '#test/harness/local-servers.ts'
import {
  type RunningProcess,
  startProcess,
  verifyingFunctionEnv,
  waitReady,
} from '#test/harness/process.ts'

/**
 * Two chat processes (functions/chat/main.ts) on the test database and the run's Redis,
 * as two replicas behind a load balancer: a user's streams on both see every reply of the
 * chat, in order, whichever instance ran the action; a stream resumes on the other one; a
 * chat closed on one closes its streams on the other; a SIGTERM closes one's streams with
 * 1012 and the client resumes on the other without a gap.
 */

const db = useTestDatabase()
let auth: TestAuth
const jwksUrl = useJwksServer(() => auth.keys)

beforeAll(async () => {
  auth = await createTestAuth()
})

const running: RunningProcess[] = []
afterEach(async () => {
  for (const proc of running.splice(0)) {
    proc.child.kill('SIGKILL')
    await proc.exited
  }
})

async function instance(): Promise<{ http: string; ws: string; proc: RunningProcess }> {
  const port = await freePort()
  const proc = startProcess(
    'functions/chat/main.ts',
    verifyingFunctionEnv(port, db.url('tenantry_app'), jwksUrl(), {
      REDIS_URL: inject('redisUrl'),
    }),
  )
  running.push(proc)
  await waitReady(port, proc)
  return { http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}`, proc }
}

const chatOwner = () => fixtureChatOwner(db.admin)

/**
 * How long a reply may take to reach a stream on the other process: milliseconds
 * normally, but on a 2-core machine running the whole suite a process can be off the CPU
 * for more than vi.waitFor's default second (a reply the bus missed comes by the catch-up
 * after the subscription, later still).
 */
const ARRIVES = { timeout: 5_000, interval: 20 }

describe('two chat instances', () => {
  it('fan every reply out to the chat’s streams on both, resume across, and close on both', async () => {
    const [a, b] = await Promise.all([instance(), instance()])
    const { user, chatId } = await chatOwner()
    const authorization = await auth.bearer(user)
    const onA = new Client(`${a.ws}/v1/chats/${chatId}/ws`, { authorization })
    const onB = new Client(`${b.ws}/v1/chats/${chatId}/ws`, { authorization })
    await Promise.all([onA.opened, onB.opened])
    const events = await openEvents(`${b.http}/v1/chats/${chatId}/events`, { authorization })
    expect(events.status).toBe(200)

    onA.send({ type: 'action', id: 'from-a', action: 'ping' })
    const posted = await fetch(`${b.http}/v1/chats/${chatId}/actions`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'ping' }),
    })
    expect(posted.status, b.proc.output()).toBe(202)
    onB.send({ type: 'action', id: 'from-b', action: 'ping' })
    const seqs = (client: Client) => client.replies.map((r) => r.seq)
    await vi.waitFor(() => expect(seqs(onA)).toEqual([1, 2, 3]), ARRIVES)
    await vi.waitFor(() => expect(seqs(onB)).toEqual([1, 2, 3]), ARRIVES)
    const sseIds = () =>
      events
        .events()
        .filter((e) => e.event === 'reply')
        .map((e) => e.id)
    await vi.waitFor(() => expect(sseIds()).toEqual(['1', '2', '3']), ARRIVES)
    // The same replies everywhere, whichever instance ran them.
    expect(onB.replies).toEqual(onA.replies)
    expect(onA.replies.map((r) => r.in_reply_to)).toContain('from-b')

    // A stream that was on A resumes on B.
    onA.close()
    await onA.closed
    onB.send({ type: 'action', id: 'while-away', action: 'ping' })
    await vi.waitFor(() => expect(seqs(onB)).toEqual([1, 2, 3, 4]), ARRIVES)
    const back = new Client(`${b.ws}/v1/chats/${chatId}/ws?after=2`, { authorization })
    await vi.waitFor(() => expect(seqs(back)).toEqual([3, 4]), ARRIVES)

    // Closed on A: every stream of the chat, on B, closes with 4404.
    const closed = await fetch(`${a.http}/v1/chats/${chatId}`, {
      method: 'DELETE',
      headers: { authorization },
    })
    expect(closed.status, a.proc.output()).toBe(204)
    expect((await onB.closed).code).toBe(4404)
    expect((await back.closed).code).toBe(4404)
    await events.ended
    expect(events.events().at(-1)).toEqual({ event: 'close', data: '{"code":4404}' })
  })

  it('close one instance’s streams with 1012 on SIGTERM; they resume on the other', async () => {
    const [a, b] = await Promise.all([instance(), instance()])
    const { user, chatId } = await chatOwner()
    const authorization = await auth.bearer(user)
    const onA = new Client(`${a.ws}/v1/chats/${chatId}/ws`, { authorization })
    const onB = new Client(`${b.ws}/v1/chats/${chatId}/ws`, { authorization })
    await Promise.all([onA.opened, onB.opened])
    onA.send({ type: 'action', id: 'one', action: 'ping' })
    await vi.waitFor(() => expect(onB.replies).toHaveLength(1), ARRIVES)

    b.proc.child.kill('SIGTERM')
    expect((await onB.closed).code).toBe(1012)
    expect(await b.proc.exited, b.proc.output()).toBe(0)
    onA.send({ type: 'action', id: 'two', action: 'ping' })
    await vi.waitFor(() => expect(onA.replies).toHaveLength(2), ARRIVES)
    // Reconnect (to the one left) and resume after what it had: nothing missed.
    const resumed = new Client(`${a.ws}/v1/chats/${chatId}/ws?after=1`, { authorization })
    await vi.waitFor(
      () => expect(resumed.replies.map((r) => [r.seq, r.in_reply_to])).toEqual([[2, 'two']]),
      ARRIVES,
    )
    onA.close()
    resumed.close()
  })
})
