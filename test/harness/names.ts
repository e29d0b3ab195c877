/** Names and URLs shared by the global setup and the per-file helpers. */

/** Test-only password for the login roles; local test clusters trust anyway. */
export const ROLE_PASSWORD = 'tenantry-test-only'

export type LoginRole = 'tenantry_owner' | 'tenantry_app'

export function templateName(runId: string): string {
  return `tenantry_tpl_${runId}`
}

/** Every database of a run carries the run id, so teardown finds them all. */
export function databaseName(runId: string): string {
  return `tenantry_t_${runId}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
}

/** The administrator's URL rewritten to log in as another role, or to another database. */
export function roleUrl(adminUrl: string, role: LoginRole | null, database: string): string {
  const url = new URL(adminUrl)
  if (role) {
    url.username = role
    url.password = ROLE_PASSWORD
  }
  url.pathname = `/${database}`
  return url.toString()
}
