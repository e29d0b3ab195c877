import postgres from 'postgres'
import { findPostgresBinDir, startLocalPostgres } from '#test/harness/local-servers.ts'
import { type LoginRole, roleUrl } from '#test/harness/names.ts'
import { provisionDatabase } from '#test/harness/provision.ts'
import { onCleanup } from './cleanup.ts'
import { type CpuProbe, processesCpu } from './cpu.ts'

/**
 * A PostgreSQL database for a benchmark: BENCH_DATABASE_URL (an administrator's URL) if
 * set, otherwise a throwaway local cluster from the machine's binaries. Either way the
 * roles of shared/db/roles.sql exist, the two login roles have the test password (as in
 * the test harness, so do not point this at a cluster whose roles matter), and a fresh
 * database owned by tenantry_owner is migrated. The database is dropped and a local
 * server stopped at the end, on an error, or on Ctrl-C (see cleanup.ts).
 */

export interface BenchPostgres {
  /** Where the server came from. */
  source: string
  serverVersion: string
  database: string
  /** URL of the bench database as a login role, or as the administrator for null. */
  url(role: LoginRole | null): string
}

export async function provideBenchPostgres(): Promise<BenchPostgres> {
  let adminUrl = process.env.BENCH_DATABASE_URL
  let source = 'BENCH_DATABASE_URL'
  if (!adminUrl) {
    const binDir = findPostgresBinDir()
    if (!binDir) {
      throw new Error(
        'benchmarks need PostgreSQL 15+: set BENCH_DATABASE_URL to an administrator URL, ' +
          'or install the server binaries (initdb, pg_ctl; e.g. Debian postgresql-15)',
      )
    }
    const server = await startLocalPostgres(binDir)
    onCleanup('stop the local PostgreSQL', server.stop)
    adminUrl = server.url
    source = `local cluster from ${binDir} (fsync off)`
  }
  const serverUrl = adminUrl
  const database = `tenantry_bench_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`

  // Registered first: a failed migration must not leave the database behind either.
  onCleanup(`drop database ${database}`, async () => {
    const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} })
    try {
      await dropper.unsafe(`drop database if exists ${database} with (force)`)
    } finally {
      await dropper.end({ timeout: 2 })
    }
  })
  const { serverVersion } = await provisionDatabase(serverUrl, database)

  return {
    source,
    serverVersion,
    database,
    url: (role) => roleUrl(serverUrl, role, database),
  }
}

/** CPU of the bench database's client backends, this probe's own connection left out. */
export function backendsCpu(pg: BenchPostgres): CpuProbe {
  const admin = postgres(pg.url(null), { max: 1, onnotice: () => {} })
  onCleanup('end the probe connection', () => admin.end({ timeout: 2 }))
  const backends = async () =>
    (
      await admin<{ pid: number }[]>`
        select pid from pg_stat_activity
         where datname = current_database() and backend_type = 'client backend'
           and pid <> pg_backend_pid()`
    ).map((r) => r.pid)
  return processesCpu('postgres', 'postgres', backends)
}
