import { beforeAll, describe, expect, it } from 'vitest'
import { createTestAuth, type TestAuth, useJwksServer } from '#test/harness/auth.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { createUser, type UserRow } from '#test/harness/fixtures.ts'
import { freePort } from '#test/harness/local-servers.ts'
import {
  type RunningProcess,
  startProcess,
  verifyingFunctionEnv,
  waitReady,
} from '#test/harness/process.ts'

/**
 * POST /v1/orgs with an Idempotency-Key, its process SIGKILLed at each point of the
 * creation, then retried with the same key against a new process on the same database:
 * the retry completes the creation or replays its answer, at once (no 409 for a request
 * that nothing runs any more), and there is exactly one org, committed, with its owner.
 */

const db = useTestDatabase()
let auth: TestAuth
const jwksUrl = useJwksServer(() => auth.keys)
// One secret for both processes, as replicas share it: the stored answer is sealed with it.
const CURSOR_SECRET = 's'.repeat(40)

beforeAll(async () => {
  auth = await createTestAuth()
})

async function start(script: string, env: Record<string, string> = {}) {
  const port = await freePort()
  const proc = startProcess(
    script,
    verifyingFunctionEnv(port, db.url('tenantry_app'), jwksUrl(), {
      CURSOR_SECRET,
      LOG_LEVEL: 'info',
      ...env,
    }),
  )
  await waitReady(port, proc)
  return { port, proc }
}

async function until(proc: RunningProcess, text: string): Promise<void> {
  for (let waited = 0; !proc.output().includes(text); waited += 20) {
    if (waited > 10_000) throw new Error(`not seen: ${text}\n${proc.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function createOrg(port: number, user: UserRow, key: string) {
  const res = await fetch(`http://127.0.0.1:${port}/v1/orgs`, {
    method: 'POST',
    headers: {
      authorization: await auth.bearer(user),
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify({ name: 'Crash Test' }),
  })
  return {
    status: res.status,
    replayed: res.headers.get('idempotent-replayed'),
    text: await res.text(),
  }
}

describe.each([
  'before:owner-membership',
  'before:provision-tenant',
  'before:commit',
  'after:commit',
])('a creation whose process is killed %s', (point) => {
  it('is completed or replayed by the retry, once', async () => {
    const user = await createUser(db.admin)
    const key = `crash-${point}`
    const first = await start('test/fixtures/orgs-paused.ts', { PAUSE_AT: point })
    const lost = createOrg(first.port, user, key).catch((error: unknown) => error)
    await until(first.proc, `paused at ${point}`)
    first.proc.child.kill('SIGKILL')
    await first.proc.exited
    expect(await lost, 'the first request never got its answer').toBeInstanceOf(Error)

    const second = await start('functions/orgs/main.ts')
    try {
      const retry = await createOrg(second.port, user, key)
      expect(retry.status, `${retry.text}\n${second.proc.output()}`).toBe(201)
      expect(retry.replayed).toBe('true')
      const org = JSON.parse(retry.text) as { id: string; status: string; role: string }
      expect(org).toMatchObject({ status: 'committed', role: 'owner' })

      const again = await createOrg(second.port, user, key)
      expect([again.status, again.replayed, again.text]).toEqual([201, 'true', retry.text])

      const orgs = await db.admin<{ id: string; status: string }[]>`
        select id, status from orgs where created_by = ${user.id}`
      expect(orgs).toEqual([{ id: org.id, status: 'committed' }])
      const [members] = await db.admin<{ n: number }[]>`
        select count(*)::int as n from memberships where org_id = ${org.id} and role = 'owner'`
      expect(members?.n).toBe(1)
      const [stored] = await db.admin<{ status: string }[]>`
        select status from idempotency_keys where user_id = ${user.id} and key = ${key}`
      expect(stored?.status).toBe('completed')
    } finally {
      second.proc.child.kill('SIGTERM')
      await second.proc.exited
    }
  })
})
