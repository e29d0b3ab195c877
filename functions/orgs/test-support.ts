import type { Sql } from 'postgres'
import type { Provisioner } from './provisioner/provisioner.ts'

/** Shared by the orgs tests (not a test file itself; never imported by main.ts). */

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
