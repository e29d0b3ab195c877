import { execFile } from 'node:child_process'
import { accessSync, constants, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '#test/harness/database.ts'

/**
 * The pgTAP suite (test/pgtap/*.sql), run by pg_prove against a fresh database cloned
 * from the migrated template: one test per SQL file. Each file works inside its own
 * transaction and rolls back, so the files share the database. pg_prove comes from the
 * Debian package postgresql-15-pgtap; without it the suite fails rather than skips.
 */

const SUITE = new URL('./pgtap/', import.meta.url).pathname
const FILES = readdirSync(SUITE)
  .filter((name) => name.endsWith('.sql'))
  .sort()

let db: TestDatabase | undefined

beforeAll(async () => {
  db = await createTestDatabase()
  await db.admin`create extension if not exists pgtap`.catch((error: Error) => {
    throw new Error(
      `cannot create the pgtap extension (${error.message}): the PostgreSQL server needs ` +
        'the Debian package postgresql-15-pgtap',
    )
  })
})

afterAll(async () => {
  await db?.drop()
})

describe('pgTAP suite (pg_prove)', () => {
  it('has SQL files to run', () => {
    expect(FILES.length, `no *.sql files in ${SUITE}`).toBeGreaterThan(0)
  })

  it.each(FILES)('%s', async (file) => {
    const pgProve = findPgProve()
    if (!pgProve) {
      throw new Error(
        'pg_prove is not installed: install the Debian package postgresql-15-pgtap ' +
          '(it provides pg_prove and the pgtap extension), or run `bash .ci/run`',
      )
    }
    if (!db) throw new Error('the test database exists from beforeAll on')
    const result = await prove(pgProve, join(SUITE, file), db.url(null))
    const output = `pg_prove ${file} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`
    expect(result.code, output).toBe(0)
    expect(result.stdout, output).toMatch(/^Result: PASS$/m)
  })
})

function findPgProve(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/local/bin']
  for (const dir of dirs) {
    if (!dir) continue
    const candidate = join(dir, 'pg_prove')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

interface Proved {
  code: number
  stdout: string
  stderr: string
}

/** Runs pg_prove on one file, connected through libpq's environment variables. */
function prove(pgProve: string, file: string, databaseUrl: string): Promise<Proved> {
  const url = new URL(databaseUrl)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGHOST:
      url.searchParams.get('host') ?? decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1'),
    PGPORT: url.port || '5432',
    PGUSER: decodeURIComponent(url.username),
    PGDATABASE: decodeURIComponent(url.pathname.slice(1)),
    PGCONNECT_TIMEOUT: '10',
  }
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password)
  const sslmode = url.searchParams.get('sslmode')
  if (sslmode) env.PGSSLMODE = sslmode
  // Inherited settings must not point psql somewhere else.
  delete env.PGSERVICE
  delete env.PGOPTIONS
  return new Promise((resolve) => {
    execFile(
      pgProve,
      ['--verbose', '--nocolor', '--norc', file],
      { env, timeout: 50_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        const reason = error && typeof error.code !== 'number' ? `${error.message}\n` : ''
        resolve({ code, stdout, stderr: reason + stderr })
      },
    )
  })
}
