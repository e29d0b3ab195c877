import { readFile } from 'node:fs/promises'
import postgres from 'postgres'
import { migrate } from '#shared/db/migrate.ts'
import { findPostgresBinDir, startLocalPostgres } from '#test/harness/local-servers.ts'
import { type LoginRole, ROLE_PASSWORD, roleUrl } from '#test/harness/names.ts'
import { onCleanup } from './cleanup.ts'

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

const ROLES_SQL = new URL('../../shared/db/roles.sql', import.meta.url)
const MIGRATIONS = new URL('../../shared/db/migrations/', import.meta.url).pathname

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

  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} })
  let serverVersion: string
  try {
    const [row] = await admin<{ num: number; version: string }[]>`
      select current_setting('server_version_num')::int as num,
             current_setting('server_version') as version`
    if (!row || row.num < 150000) {
      throw new Error(`PostgreSQL 15 or newer is needed; the server is ${row?.version}`)
    }
    serverVersion = row.version
    await admin.unsafe(await readFile(ROLES_SQL, 'utf8'))
    for (const role of ['tenantry_owner', 'tenantry_app']) {
      await admin.unsafe(`alter role ${role} password '${ROLE_PASSWORD}'`)
    }
    await admin.unsafe(`create database ${database} owner tenantry_owner template template0`)
  } finally {
    await admin.end()
  }
  onCleanup(`drop database ${database}`, async () => {
    const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} })
    try {
      await dropper.unsafe(`drop database if exists ${database} with (force)`)
    } finally {
      await dropper.end({ timeout: 2 })
    }
  })

  const owner = postgres(roleUrl(serverUrl, 'tenantry_owner', database), {
    max: 1,
    onnotice: () => {},
  })
  try {
    await migrate(owner, MIGRATIONS, { info: () => {} })
  } finally {
    await owner.end()
  }

  return {
    source,
    serverVersion,
    database,
    url: (role) => roleUrl(serverUrl, role, database),
  }
}
