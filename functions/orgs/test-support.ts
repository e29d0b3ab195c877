import { randomBytes } from 'node:crypto'
import type { Sql } from 'postgres'
import { ConfigCache } from '#shared/config/cache.ts'
import { createLogger } from '#shared/log.ts'
import { InProcessRateLimiter } from '#shared/ratelimit/limiter.ts'
import type { TestAuth } from '#test/harness/auth.ts'
import type { UserRow } from '#test/harness/fixtures.ts'
import { createOrgsApp } from './app.ts'
import type { SagaHooks } from './lib/saga.ts'
import type { Provisioner } from './provisioner/provisioner.ts'

/** Shared by the orgs tests (not a test file itself; never imported by main.ts). */

const log = createLogger('test', { level: 'silent' })

/** Tenant "resources" in memory; fails on demand before or after making them. */
export class FakeProvisioner implements Provisioner {
  readonly kind = 'fake'
  readonly resources = new Set<string>()
  readonly calls: string[] = []
  fail: 'provision-before' | 'provision-after' | 'deprovision' | null = null

  async provision(orgId: string): Promise<void> {
    this.calls.push(`provision ${orgId}`)
    if (this.fail === 'provision-before') throw new Error('quota service unreachable')
    this.resources.add(orgId)
    if (this.fail === 'provision-after') throw new Error('network policy rejected')
  }

  async deprovision(orgId: string): Promise<void> {
    this.calls.push(`deprovision ${orgId}`)
    if (this.fail === 'deprovision') throw new Error('api server down')
    this.resources.delete(orgId)
  }
}

export async function orgsApp(
  sql: Sql,
  auth: TestAuth,
  options: { provisioner?: Provisioner; hooks?: SagaHooks } = {},
) {
  const config = new ConfigCache(sql, ['ratelimits'], log)
  await config.load()
  return createOrgsApp({
    db: sql,
    config,
    verifier: auth.verifier,
    limiter: new InProcessRateLimiter(),
    log,
    cursorSecret: randomBytes(32),
    provisioner: options.provisioner ?? new FakeProvisioner(),
    ...(options.hooks ? { sagaHooks: options.hooks } : {}),
  })
}

export type App = Awaited<ReturnType<typeof orgsApp>>

type CallArgs = Parameters<typeof call> extends [unknown, unknown, ...infer R] ? R : never

/** call() with its auth filled in, read at call time (tests set it in beforeAll). */
export function boundCall(auth: () => TestAuth) {
  return (app: App, ...rest: CallArgs) => call(app, auth(), ...rest)
}

export interface Called {
  status: number
  headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
  body: any
  text: string
}

export async function call(
  app: App,
  auth: TestAuth,
  user: UserRow | null,
  method: string,
  path: string,
  body?: unknown,
  extra: Record<string, string> = {},
): Promise<Called> {
  const headers: Record<string, string> = { ...extra }
  if (user) headers.authorization = await auth.bearer(user)
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await app.request(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null, text }
}

/** An org's creation as the saga tables record it (read as the superuser). */
export async function sagaState(admin: Sql, orgId: string) {
  const [org] = await admin`select status from orgs where id = ${orgId}`
  const [saga] = await admin`select id, status from org_sagas where org_id = ${orgId}`
  const steps = await admin`
    select step, phase, outcome, error from org_saga_steps where saga_id = ${saga?.id} order by id`
  const [members] = await admin`select count(*)::int as n from memberships where org_id = ${orgId}`
  return {
    org: org?.status,
    saga: saga?.status,
    members: members?.n,
    steps: steps.map((s) => `${s.step} ${s.phase} ${s.outcome}`),
    errors: steps.map((s) => s.error),
  }
}
