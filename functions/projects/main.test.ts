import { createServer, type Socket } from 'node:net'
import { beforeAll, describe, expect, it } from 'vitest'
import { createTestAuth, type TestAuth, useJwksServer } from '#test/harness/auth.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { createOrg, createProject, createUser } from '#test/harness/fixtures.ts'
import { freePort } from '#test/harness/local-servers.ts'
import { startProcess, verifyingFunctionEnv, waitReady } from '#test/harness/process.ts'

/**
 * The projects function as its own process (functions/projects/main.ts): environment
 * checked at boot, ready only after its config loaded (listening once it is, or after a
 * grace with /readyz 503 while its database does not answer), serving real HTTP with tokens
 * verified against the auth function's JWKS URL, and exiting 0 on SIGTERM.
 */

const db = useTestDatabase()
let auth: TestAuth
const jwksUrl = useJwksServer(() => auth.keys)

beforeAll(async () => {
  auth = await createTestAuth()
})

describe('projects function process', () => {
  it('serves a project over HTTP and drains on SIGTERM', async () => {
    const port = await freePort()
    const proc = startProcess(
      'functions/projects/main.ts',
      verifyingFunctionEnv(port, db.url('tenantry_app'), jwksUrl()),
    )
    try {
      await waitReady(port, proc)
      const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as object
      expect(ready).toEqual({ status: 'ready', configs: { projects: 1, ratelimits: 1 } })
      const user = await createUser(db.admin)
      const project = await createProject(db.admin, await createOrg(db.admin, user), 'Over HTTP')
      const res = await fetch(`http://127.0.0.1:${port}/v1/projects/${project.id}`, {
        headers: { authorization: await auth.bearer(user) },
      })
      expect(res.status, proc.output()).toBe(200)
      expect(((await res.json()) as { name: string }).name).toBe('Over HTTP')
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      expect(metrics).toContain('route="/v1/projects/:projectId"')
      expect(metrics).toMatch(/^config_version\{service="projects"\} 1$/m)
      expect(metrics).toContain('process_cpu_user_seconds_total')
      expect(metrics).toMatch(/^config_staleness_seconds\{service="ratelimits"\} \d/m)
    } finally {
      proc.child.kill('SIGTERM')
    }
    expect(await proc.exited, proc.output()).toBe(0)
  })

  it('listens after a grace when its database does not answer, and answers 503 until ready', async () => {
    // A server that accepts connections and never speaks: PostgreSQL far away or hung.
    const held: Socket[] = []
    const silent = createServer((socket) => held.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const silentPort = (silent.address() as { port: number }).port
    const port = await freePort()
    const proc = startProcess(
      'functions/projects/main.ts',
      verifyingFunctionEnv(
        port,
        `postgres://tenantry_app:x@127.0.0.1:${silentPort}/tenantry`,
        jwksUrl(),
      ),
    )
    try {
      let readyz: Response | undefined
      const deadline = Date.now() + 15_000
      while (!readyz && Date.now() < deadline) {
        readyz = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined)
        if (!readyz) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      if (!readyz) throw new Error(`never listened:\n${proc.output()}`)
      expect(readyz.status, proc.output()).toBe(503)
      expect(((await readyz.json()) as { detail: string }).detail).toMatch(/starting/)
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
    } finally {
      proc.child.kill('SIGTERM')
      await proc.exited
      for (const socket of held) socket.destroy()
      silent.close()
    }
  })

  it('exits 1 with one line naming each missing variable', async () => {
    const proc = startProcess('functions/projects/main.ts', {
      DATABASE_URL: 'mysql://nope',
      CURSOR_SECRET: 'short',
    })
    expect(await proc.exited).toBe(1)
    const text = proc.output()
    for (const name of [
      'DATABASE_URL',
      'AUTH_ISSUER',
      'AUTH_AUDIENCE',
      'AUTH_JWKS_URL',
      'CURSOR_SECRET',
    ]) {
      expect(text).toMatch(new RegExp(`^${name}: `, 'm'))
    }
    expect(text).not.toContain('mysql://nope')
  })
})
