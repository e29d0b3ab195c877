import postgres, { type Sql } from 'postgres'
import { afterAll, beforeAll, inject } from 'vitest'
import { connect } from '#shared/db/client.ts'
import { databaseName, type LoginRole, roleUrl, templateName } from './names.ts'

/**
 * A fresh database for one test file: cloned from the run's migrated template, or
 * empty (for migration tests). Pools: `admin` (superuser, bypasses RLS: fixtures and
 * assertions about raw state), `owner` (the table owner, FORCE RLS applies) and `app`
 * (the functions' role).
 */
export interface TestDatabase {
  name: string
  admin: Sql
  owner: Sql
  app: Sql
  url(role: LoginRole | null): string
  drop(): Promise<void>
}

export interface DatabaseOptions {
  empty?: boolean
  /** Pool size of `app`. */
  appPool?: number
}

export async function createTestDatabase(options: DatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = inject('postgresAdminUrl')
  const runId = inject('runId')
  const name = databaseName(runId)
  const template = options.empty ? 'template0' : templateName(runId)
  const server = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    await server.unsafe(`create database ${name} owner tenantry_owner template ${template}`)
  } finally {
    await server.end()
  }
  const url = (role: LoginRole | null) => roleUrl(adminUrl, role, name)
  const admin = connect(url(null), { max: 2 })
  const owner = connect(url('tenantry_owner'), { max: 2 })
  const app = connect(url('tenantry_app'), { max: options.appPool ?? 4 })
  return {
    name,
    admin,
    owner,
    app,
    url,
    async drop() {
      await Promise.all([admin.end(), owner.end(), app.end()])
      const server = postgres(adminUrl, { max: 1, onnotice: () => {} })
      try {
        await server.unsafe(`drop database if exists ${name} with (force)`)
      } finally {
        await server.end()
      }
    },
  }
}

/** createTestDatabase() in beforeAll and drop() in afterAll, for a whole test file. */
export function useTestDatabase(options: DatabaseOptions = {}): TestDatabase {
  let db: TestDatabase | undefined
  beforeAll(async () => {
    db = await createTestDatabase(options)
  })
  afterAll(async () => {
    await db?.drop()
  })
  const current = (): TestDatabase => {
    if (!db) throw new Error('useTestDatabase(): the database exists from beforeAll on')
    return db
  }
  return {
    get name() {
      return current().name
    },
    get admin() {
      return current().admin
    },
    get owner() {
      return current().owner
    },
    get app() {
      return current().app
    },
    url: (role) => current().url(role),
    drop: () => current().drop(),
  }
}
