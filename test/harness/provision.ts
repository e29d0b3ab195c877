import { readFile } from 'node:fs/promises'
import postgres from 'postgres'
import { migrate } from '#shared/db/migrate.ts'
import { ROLE_PASSWORD, roleUrl } from './names.ts'

const ROLES_SQL = new URL('../../shared/db/roles.sql', import.meta.url)
const MIGRATIONS = new URL('../../shared/db/migrations/', import.meta.url)

/**
 * On a server reached with an administrator's URL: check it is PostgreSQL 15+, create
 * Tenantry's roles (shared/db/roles.sql), give the two login roles the test password,
 * then create `database` owned by tenantry_owner and migrate it as that role. Used by
 * the test run (for its template database) and by the benchmarks.
 */
export async function provisionDatabase(
  adminUrl: string,
  database: string,
): Promise<{ serverVersion: string }> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
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
  const owner = postgres(roleUrl(adminUrl, 'tenantry_owner', database), {
    max: 1,
    onnotice: () => {},
  })
  try {
    await migrate(owner, MIGRATIONS, { info: () => {} })
  } finally {
    await owner.end()
  }
  return { serverVersion }
}
