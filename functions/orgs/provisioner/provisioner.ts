/**
 * Tenant resources outside PostgreSQL that belong to one org, made by the creation saga
 * and removed by its compensation or by deleting the org. Both calls must be idempotent:
 * a retried saga provisions again, and a compensation may run after a half-done
 * provision or twice.
 */
export interface Provisioner {
  readonly kind: 'none' | 'kubernetes' | (string & {})
  provision(orgId: string): Promise<void>
  deprovision(orgId: string): Promise<void>
}

/** No tenant resources: the embedded default and clusters without per-tenant namespaces. */
export const noProvisioner: Provisioner = {
  kind: 'none',
  async provision() {},
  async deprovision() {},
}
