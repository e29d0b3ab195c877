import { beforeAll, describe, expect, it } from 'vitest'
import { createTestAuth, type TestAuth, useJwksServer } from '#test/harness/auth.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { createUser } from '#test/harness/fixtures.ts'
import { freePort } from '#test/harness/local-servers.ts'
import { startProcess, verifyingFunctionEnv, waitReady } from '#test/harness/process.ts'

/**
 * The orgs function as its own process (functions/orgs/main.ts): its own variables
 * checked at boot, an org created over real HTTP with the `none` provisioner, and a
 * clean exit on SIGTERM.
 */

const db = useTestDatabase()
let auth: TestAuth
const jwksUrl = useJwksServer(() => auth.keys)

beforeAll(async () => {
  auth = await createTestAuth()
})

describe('orgs function process', () => {
  it('creates an org over HTTP and drains on SIGTERM', async () => {
    const port = await freePort()
    const proc = startProcess(
      'functions/orgs/main.ts',
      verifyingFunctionEnv(port, db.url('tenantry_app'), jwksUrl(), { ORG_PROVISIONER: 'none' }),
    )
    try {
      await waitReady(port, proc)
      const user = await createUser(db.admin)
      const res = await fetch(`http://127.0.0.1:${port}/v1/orgs`, {
        method: 'POST',
        headers: { authorization: await auth.bearer(user), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Over HTTP' }),
      })
      expect(res.status, proc.output()).toBe(201)
      expect(await res.json()).toMatchObject({ name: 'Over HTTP', status: 'committed' })
    } finally {
      proc.child.kill('SIGTERM')
    }
    expect(await proc.exited, proc.output()).toBe(0)
  })

  it('exits 1 naming ORG_PROVISIONER and every missing common variable in one go', async () => {
    const proc = startProcess('functions/orgs/main.ts', { ORG_PROVISIONER: 'terraform' })
    expect(await proc.exited).toBe(1)
    expect(proc.output()).toMatch(/^ORG_PROVISIONER: /m)
    expect(proc.output()).toMatch(/^DATABASE_URL: /m)
    expect(proc.output()).not.toContain('terraform')
  })
})
