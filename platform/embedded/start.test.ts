import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '#test/harness/local-servers.ts'

/**
 * `npm start` as a user runs it: one process on an embedded PostgreSQL, the README's
 * walkthrough over real HTTP, and the data and tokens still there after a restart.
 */

let dataDir: string
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tenantry-start-'))
})
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

async function start(
  port: number,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; exited: Promise<number | null>; output: () => string }> {
  const child = spawn(process.execPath, ['platform/embedded/start.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  child.stdout?.on('data', (chunk) => (text += chunk))
  child.stderr?.on('data', (chunk) => (text += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined)
    if (res?.status === 200) return { child, exited, output: () => text }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`npm start was not ready within 30 s:\n${text}`)
}

/**
 * `npm start` with a bad variable: it must exit 1 before serving, and before starting
 * the embedded server (which would then still be shutting down, writing into DATA_DIR,
 * after the exit); resolves to its stderr.
 */
async function refusedStart(
  port: number,
  dataDir: string,
  env: Record<string, string>,
): Promise<string> {
  const child = spawn(process.execPath, ['platform/embedded/start.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  child.stderr?.on('data', (chunk) => (text += chunk))
  expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(1)
  expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), text).toBe(false)
  return text
}

async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > 2_000) throw new Error('not seen within 2 s')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('npm start', () => {
  it('serves the walkthrough, prints its URL, and keeps data and tokens across a restart', async () => {
    const port = await freePort()
    const api = `http://127.0.0.1:${port}`
    const json = async (path: string, init: RequestInit = {}, token?: string) => {
      const headers = new Headers(init.headers)
      if (token) headers.set('authorization', `Bearer ${token}`)
      if (init.body) headers.set('content-type', 'application/json')
      const res = await fetch(`${api}${path}`, { ...init, headers })
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    }

    const first = await start(port)
    let token: string
    let orgId: string
    try {
      // Written (and flushed) just before it reports ready; the pipe may lag a little.
      await until(() => first.output().includes(`Tenantry API on http://localhost:${port}`))
      const guest = await json('/v1/auth/guest', { method: 'POST' })
      expect(guest.status).toBe(201)
      token = guest.body.access_token as string
      const org = await json('/v1/orgs', { method: 'POST', body: '{"name":"Acme"}' }, token)
      expect([org.status, org.body.status]).toEqual([201, 'committed'])
      orgId = org.body.id as string
      const project = await json(
        `/v1/orgs/${orgId}/projects`,
        { method: 'POST', body: '{"name":"Website"}' },
        token,
      )
      expect(project.status).toBe(201)
      const invite = await json(`/v1/orgs/${orgId}/invites`, { method: 'POST', body: '{}' }, token)
      const second = await json('/v1/auth/guest', { method: 'POST' })
      const accepted = await json(
        `/v1/invites/${invite.body.code}/accept`,
        { method: 'POST' },
        second.body.access_token as string,
      )
      expect(accepted.body).toEqual({ org_id: orgId, role: 'member' })
      const docs = await fetch(`${api}/docs`)
      expect(docs.status).toBe(200)
    } finally {
      first.child.kill('SIGTERM')
    }
    expect(await first.exited, first.output()).toBe(0)

    const again = await start(port)
    try {
      const projects = await json(`/v1/orgs/${orgId}/projects`, {}, token)
      expect(projects.status).toBe(200)
      expect((projects.body.items as { name: string }[]).map((p) => p.name)).toEqual(['Website'])
      const members = await json(`/v1/orgs/${orgId}/members`, {}, token)
      expect((members.body.items as unknown[]).length).toBe(2)
    } finally {
      again.child.kill('SIGTERM')
    }
    expect(await again.exited, again.output()).toBe(0)
  })

  it('answers CORS preflights for the origins of CORS_ALLOWED_ORIGINS, as every function reads it', async () => {
    const port = await freePort()
    const running = await start(port, { CORS_ALLOWED_ORIGINS: 'https://app.example' })
    try {
      const preflight = (origin: string) =>
        fetch(`http://127.0.0.1:${port}/v1/orgs`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization, content-type, idempotency-key',
          },
        })
      const allowed = await preflight('https://app.example')
      expect(allowed.status).toBe(204)
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example')
      expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
        'idempotency-key',
      )
      const other = await preflight('https://evil.example')
      expect(other.headers.get('access-control-allow-origin')).toBeNull()
    } finally {
      running.child.kill('SIGTERM')
    }
    expect(await running.exited, running.output()).toBe(0)

    const text = await refusedStart(port, dataDir, { CORS_ALLOWED_ORIGINS: 'app.example' })
    expect(text).toMatch(/^CORS_ALLOWED_ORIGINS: /m)
  })

  it('makes a development machine client without AUTH_CLIENTS, and a config it writes applies at once', async () => {
    const port = await freePort()
    const api = `http://127.0.0.1:${port}`
    const running = await start(port)
    try {
      await until(() => running.output().includes('Machine client for the config routes'))
      const secret = /id dev, secret (\S+)/.exec(running.output())?.[1] as string
      expect(running.output()).toContain(`curl -s -X POST http://localhost:${port}/v1/auth/token`)
      const token = await fetch(`${api}/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: 'dev',
          client_secret: secret,
        }),
      })
      expect(token.status).toBe(200)
      const ops = ((await token.json()) as { access_token: string }).access_token
      const current = await fetch(`${api}/v1/configs/projects`, {
        headers: { authorization: `Bearer ${ops}` },
      })
      const put = await fetch(`${api}/v1/configs/projects`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${ops}`,
          'content-type': 'application/json',
          'if-match': current.headers.get('etag') ?? '',
        },
        body: JSON.stringify({ data: { max_projects_per_org: 3 } }),
      })
      expect(put.status, await put.clone().text()).toBe(200)
      const version = ((await put.json()) as { version: number }).version
      // The in-process bus brings the new version to the one cache of every function.
      for (let i = 0; i < 100; i++) {
        const ready = (await (await fetch(`${api}/readyz`)).json()) as {
          configs: Record<string, number>
        }
        if (ready.configs.projects === version) break
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      const ready = (await (await fetch(`${api}/readyz`)).json()) as {
        configs: Record<string, number>
      }
      expect(ready.configs.projects).toBe(version)
    } finally {
      running.child.kill('SIGTERM')
    }
    expect(await running.exited, running.output()).toBe(0)
  })

  it('reads AUTH_CLIENTS exactly as the auth function does, and then makes no client of its own', async () => {
    const port = await freePort()
    const secret = 'a-secret-of-the-operator-0123456789abcdef'
    const { createHash } = await import('node:crypto')
    const clients = JSON.stringify({
      pipeline: {
        secret_sha256: createHash('sha256').update(secret).digest('hex'),
        scopes: ['config:read'],
      },
    })
    const running = await start(port, { AUTH_CLIENTS: clients })
    try {
      const grant = (client_id: string, client_secret: string) =>
        fetch(`http://127.0.0.1:${port}/v1/auth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ grant_type: 'client_credentials', client_id, client_secret }),
        })
      const ok = await grant('pipeline', secret)
      expect(ok.status).toBe(200)
      expect(((await ok.json()) as { scope: string }).scope).toBe('config:read')
      expect((await grant('dev', 'anything')).status).toBe(401)
      expect(running.output()).not.toContain('Machine client for the config routes')
    } finally {
      running.child.kill('SIGTERM')
    }
    expect(await running.exited, running.output()).toBe(0)

    const text = await refusedStart(port, dataDir, { AUTH_CLIENTS: '{not json' })
    expect(text).toMatch(/^AUTH_CLIENTS: must be JSON/m)
    expect(text).not.toContain('{not json')
  })
})
