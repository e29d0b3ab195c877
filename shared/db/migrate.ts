import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Sql } from 'postgres'

/**
 * Forward-only SQL migrations: `V001__name.sql`, `V002__name.sql`, … applied in order,
 * one transaction per file, each recorded with a checksum. An advisory lock makes
 * replicas that start together take turns, so each file is applied exactly once.
 */

export interface MigrationFile {
  version: number
  name: string
  checksum: string
  sql: string
}

export type MigrationErrorCode =
  | 'MIGRATION_BAD_NAME'
  | 'MIGRATION_GAP'
  | 'MIGRATION_EDITED'
  | 'MIGRATION_MISSING'
  | 'MIGRATION_FAILED'

export class MigrationError extends Error {
  readonly code: MigrationErrorCode
  readonly file: string | undefined

  constructor(code: MigrationErrorCode, message: string, file?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'MigrationError'
    this.code = code
    this.file = file
  }
}

export interface MigrateLogger {
  info(fields: Record<string, unknown>, message: string): void
}

/** A folder path, or a file: URL such as `new URL('./migrations/', import.meta.url)`. */
export type MigrationsDir = string | URL

export interface MigrateResult {
  applied: string[]
  alreadyApplied: number
}

const FILE_PATTERN = /^V(\d{3,})__([a-z0-9_]+)\.sql$/
// Any constant works; this one spells "tenantry" so it is recognisable in pg_locks.
const LOCK_KEY = 0x74656e616e747279n

export async function readMigrations(from: MigrationsDir): Promise<MigrationFile[]> {
  const dir = typeof from === 'string' ? from : fileURLToPath(from)
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort()
  const files: MigrationFile[] = []
  for (const name of names) {
    const match = FILE_PATTERN.exec(name)
    if (!match) {
      throw new MigrationError(
        'MIGRATION_BAD_NAME',
        `${name}: migration files are named V<3 or more digits>__<lowercase_name>.sql`,
        name,
      )
    }
    const sql = await readFile(join(dir, name), 'utf8')
    files.push({ version: Number(match[1]), name, checksum: checksumOf(sql), sql })
  }
  files.sort((a, b) => a.version - b.version)
  files.forEach((file, index) => {
    if (file.version !== index + 1) {
      const expected = `V${String(index + 1).padStart(3, '0')}`
      throw new MigrationError(
        'MIGRATION_GAP',
        `${file.name}: expected ${expected} next; migration numbers must run 1, 2, 3, … without gaps or repeats`,
        file.name,
      )
    }
  })
  return files
}

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql).digest('hex')
}

export async function migrate(
  sql: Sql,
  dir: MigrationsDir,
  log: MigrateLogger,
): Promise<MigrateResult> {
  const files = await readMigrations(dir)
  const conn = await sql.reserve()
  try {
    // Session-level lock on this one connection: held across the per-file transactions.
    // Advisory locks are per database, so runners on other databases never wait.
    const key = LOCK_KEY.toString()
    const [free] = await conn<{ locked: boolean }[]>`
      select pg_try_advisory_lock(${key}::bigint) as locked`
    if (!free?.locked) {
      log.info({}, 'waiting for another migration runner to finish')
      await conn`select pg_advisory_lock(${key}::bigint)`
    }
    try {
      return await applyPending(conn, files, log)
    } finally {
      // A failed unlock (connection lost) must not hide the error that got us here; the
      // server releases a session lock when its connection closes anyway.
      await conn`select pg_advisory_unlock(${key}::bigint)`.catch(() => {})
    }
  } finally {
    conn.release()
  }
}

async function applyPending(
  conn: Sql,
  files: MigrationFile[],
  log: MigrateLogger,
): Promise<MigrateResult> {
  await conn.unsafe(`
    create schema if not exists migrations;
    revoke all on schema migrations from public;
    create table if not exists migrations.applied (
      version     integer primary key,
      name        text not null,
      checksum    text not null,
      applied_at  timestamptz not null default now(),
      duration_ms integer not null
    )`)
  const rows = await conn<{ version: number; name: string; checksum: string }[]>`
    select version, name, checksum from migrations.applied order by version`
  for (const row of rows) {
    const file = files.find((f) => f.version === row.version)
    if (!file) {
      throw new MigrationError(
        'MIGRATION_MISSING',
        `${row.name} was applied to this database but is not in the migrations folder`,
        row.name,
      )
    }
    if (file.name !== row.name) {
      throw new MigrationError(
        'MIGRATION_EDITED',
        `${file.name} was applied as ${row.name} (renamed after it was applied); restore the name`,
        file.name,
      )
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        'MIGRATION_EDITED',
        `${file.name} changed after it was applied (checksum differs); add a new migration instead of editing a landed one`,
        file.name,
      )
    }
  }

  const done = new Set(rows.map((row) => row.version))
  const pending = files.filter((file) => !done.has(file.version))
  const applied: string[] = []
  for (const file of pending) {
    const started = performance.now()
    log.info({ file: file.name }, 'applying migration')
    try {
      await conn.unsafe('begin')
      await conn.unsafe(file.sql)
      const durationMs = Math.round(performance.now() - started)
      await conn`
        insert into migrations.applied (version, name, checksum, duration_ms)
        values (${file.version}, ${file.name}, ${file.checksum}, ${durationMs})`
      await conn.unsafe('commit')
    } catch (error) {
      await conn.unsafe('rollback').catch(() => {})
      throw failure(file, error)
    }
    applied.push(file.name)
    log.info(
      { file: file.name, duration_ms: Math.round(performance.now() - started) },
      'applied migration',
    )
  }
  log.info({ applied: applied.length, already_applied: rows.length }, 'migrations up to date')
  return { applied, alreadyApplied: rows.length }
}

function failure(file: MigrationFile, error: unknown): MigrationError {
  const pg = error as { message?: string; code?: string; position?: string }
  const where = pg.position ? ` at line ${lineOf(file.sql, Number(pg.position))}` : ''
  const code = pg.code ? ` (SQLSTATE ${pg.code})` : ''
  return new MigrationError(
    'MIGRATION_FAILED',
    `${file.name} failed${where}: ${pg.message ?? String(error)}${code}; rolled back, later migrations not applied`,
    file.name,
    error,
  )
}

function lineOf(text: string, position: number): number {
  return text.slice(0, Math.max(0, position - 1)).split('\n').length
}
