import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '#test/harness/database.ts'
import { connect, type Sql } from './client.ts'
import { type MigrateLogger, MigrationError, type MigrationErrorCode, migrate } from './migrate.ts'

/**
 * The migration runner against a real, empty PostgreSQL database per test, with
 * migration folders written here. Every database belongs to tenantry_owner, the role the
 * migrations run as.
 */

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ empty: true })
  cleanups.push(() => db.drop())
  return db
}

function ownerPool(db: TestDatabase): Sql {
  const sql = connect(db.url('tenantry_owner'), { max: 2 })
  cleanups.push(() => sql.end({ timeout: 5 }))
  return sql
}

/** A temporary migrations folder holding `files` (name → SQL). */
async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantry-migrations-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql)
  return dir
}

interface Line {
  message: string
  fields: Record<string, unknown>
}

function recorder(): MigrateLogger & { lines: Line[] } {
  const lines: Line[] = []
  return { lines, info: (fields, message) => lines.push({ message, fields }) }
}

const quiet: MigrateLogger = { info: () => {} }

async function applied(sql: Sql) {
  return sql<{ version: number; name: string; checksum: string }[]>`
    select version, name, checksum from migrations.applied order by version`
}

async function tableExists(sql: Sql, name: string): Promise<boolean> {
  const [row] = await sql<{ found: boolean }[]>`
    select to_regclass(${name}) is not null as found`
  return row?.found ?? false
}

/** The MigrationError a rejected migrate() produced, failing when it resolved instead. */
async function migrationError(run: Promise<unknown>): Promise<MigrationError> {
  const error = await run.then(
    (result) => {
      throw new Error(`migrate() was expected to fail but returned ${JSON.stringify(result)}`)
    },
    (error: unknown) => error,
  )
  expect(error).toBeInstanceOf(MigrationError)
  return error as MigrationError
}

function expectCode(error: MigrationError, code: MigrationErrorCode, file: string): void {
  expect({ code: error.code, file: error.file }, error.message).toEqual({ code, file })
  expect(error.message).toContain(file)
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

// V003 needs V002's column, and each file appends its own name: order is observable.
const ORDERED = {
  'V001__create_log.sql': 'create table log (id serial primary key, step text not null);\n',
  'V002__add_note.sql':
    "alter table log add column note text;\ninsert into log (step) values ('V002');\n",
  'V003__use_note.sql': "insert into log (step, note) values ('V003', 'needs V002');\n",
}

describe('migrate', () => {
  it('applies the files in order and records version, name and checksum of each', async () => {
    const db = await emptyDatabase()
    const sql = ownerPool(db)
    const dir = await folder(ORDERED)

    const result = await migrate(sql, dir, quiet)

    expect(result).toEqual({ applied: Object.keys(ORDERED), alreadyApplied: 0 })
    expect((await sql`select step from log order by id`).map((row) => row.step)).toEqual([
      'V002',
      'V003',
    ])
    expect(await applied(sql)).toEqual(
      Object.entries(ORDERED).map(([name, text], index) => ({
        version: index + 1,
        name,
        checksum: sha256(text),
      })),
    )
  })

  it('applies nothing when run again', async () => {
    const db = await emptyDatabase()
    const sql = ownerPool(db)
    const dir = await folder(ORDERED)
    await migrate(sql, dir, quiet)
    const before = await sql`select version, applied_at from migrations.applied order by version`

    const again = await migrate(sql, dir, quiet)

    expect(again).toEqual({ applied: [], alreadyApplied: 3 })
    expect(await sql`select version, applied_at from migrations.applied order by version`).toEqual(
      before,
    )
    expect(await sql`select step from log order by id`).toHaveLength(2)
  })

  it('refuses an applied file that was edited, and applies nothing after it', async () => {
    const db = await emptyDatabase()
    const sql = ownerPool(db)
    const dir = await folder({
      'V001__create_log.sql': ORDERED['V001__create_log.sql'],
      'V002__add_note.sql': ORDERED['V002__add_note.sql'],
    })
    await migrate(sql, dir, quiet)
    await writeFile(join(dir, 'V002__add_note.sql'), `${ORDERED['V002__add_note.sql']}-- edited\n`)
    await writeFile(join(dir, 'V003__use_note.sql'), ORDERED['V003__use_note.sql'])

    const error = await migrationError(migrate(sql, dir, quiet))

    expectCode(error, 'MIGRATION_EDITED', 'V002__add_note.sql')
    expect((await applied(sql)).map((row) => row.version)).toEqual([1, 2])
    expect(await sql`select step from log`).toHaveLength(1)
  })

  it('refuses a gap in the numbering before touching the database', async () => {
    const db = await emptyDatabase()
    const sql = ownerPool(db)
    const dir = await folder({
      'V001__create_log.sql': ORDERED['V001__create_log.sql'],
      'V003__use_note.sql': ORDERED['V003__use_note.sql'],
    })

    const error = await migrationError(migrate(sql, dir, quiet))

    expectCode(error, 'MIGRATION_GAP', 'V003__use_note.sql')
    expect(error.message).toContain('expected V002')
    expect(await tableExists(sql, 'log')).toBe(false)
    expect(await tableExists(sql, 'migrations.applied')).toBe(false)
  })

  it('refuses a badly named file before touching the database', async () => {
    const db = await emptyDatabase()
    const sql = ownerPool(db)
    const dir = await folder({
      'V001__create_log.sql': ORDERED['V001__create_log.sql'],
      'V002-Add-Note.sql': ORDERED['V002__add_note.sql'],
    })

    const error = await migrationError(migrate(sql, dir, quiet))

    expectCode(error, 'MIGRATION_BAD_NAME', 'V002-Add-Note.sql')
    expect(await tableExists(sql, 'log')).toBe(false)
  })

  it('refuses to run when an applied file has disappeared from the folder', async () => {
    const db = await emptyDatabase()
    const sql = ownerPool(db)
    const dir = await folder({
      'V001__create_log.sql': ORDERED['V001__create_log.sql'],
      'V002__add_note.sql': ORDERED['V002__add_note.sql'],
    })
    await migrate(sql, dir, quiet)
    await unlink(join(dir, 'V002__add_note.sql'))

    const error = await migrationError(migrate(sql, dir, quiet))

    expectCode(error, 'MIGRATION_MISSING', 'V002__add_note.sql')
  })

  it('applies each file exactly once when two runners start at the same instant', async () => {
    const db = await emptyDatabase()
    // Separate pools: two processes, as two replicas or Jobs starting together would be.
    const first = ownerPool(db)
    const second = ownerPool(db)
    const dir = await folder({
      // Slow enough that the second runner arrives while the first is still applying.
      'V001__create_hits.sql':
        'create table hits (id serial primary key);\nselect pg_sleep(0.3);\n',
      'V002__hit.sql': 'insert into hits default values;\n',
      'V003__hit_again.sql': 'insert into hits default values;\n',
    })
    const logs = [recorder(), recorder()]

    // allSettled: when one runner fails, let the other finish before the database is dropped.
    const settled = await Promise.allSettled([
      migrate(first, dir, logs[0] ?? quiet),
      migrate(second, dir, logs[1] ?? quiet),
    ])

    const results = settled.map((outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason
      return outcome.value
    })
    const appliedBy = results.map((result) => result.applied.length).sort()
    expect(appliedBy, JSON.stringify(results)).toEqual([0, 3])
    expect(await first`select id from hits`).toHaveLength(2)
    expect((await applied(first)).map((row) => row.version)).toEqual([1, 2, 3])
    const waited = logs
      .flatMap((log) => log.lines)
      .filter((line) => line.message.includes('waiting'))
    expect(waited, 'the later runner reports that it waits for the lock').toHaveLength(1)
  })

  it('rolls back a failing file, names it with the PostgreSQL error and stops there', async () => {
    const db = await emptyDatabase()
    const sql = ownerPool(db)
    const failing = [
      "insert into log (step) values ('V002 before the error');",
      'create table made_by_v002 (id int);',
      'select 1 / 0;',
      '',
    ].join('\n')
    const dir = await folder({
      'V001__create_log.sql': ORDERED['V001__create_log.sql'],
      'V002__divide.sql': failing,
      'V003__later.sql': 'create table made_by_v003 (id int);\n',
    })

    const error = await migrationError(migrate(sql, dir, quiet))

    expectCode(error, 'MIGRATION_FAILED', 'V002__divide.sql')
    expect(error.message).toContain('division by zero')
    expect(error.message).toContain('SQLSTATE 22012')
    expect((await applied(sql)).map((row) => row.name)).toEqual(['V001__create_log.sql'])
    expect(await sql`select step from log`, 'V002 rolled back').toHaveLength(0)
    expect(await tableExists(sql, 'made_by_v002'), 'V002 rolled back').toBe(false)
    expect(await tableExists(sql, 'made_by_v003'), 'V003 not applied').toBe(false)

    // The file never landed, so fixing it is allowed, and the run then completes.
    await writeFile(join(dir, 'V002__divide.sql'), failing.replace('1 / 0', '1 / 1'))
    expect((await migrate(sql, dir, quiet)).applied).toEqual([
      'V002__divide.sql',
      'V003__later.sql',
    ])
  })

  it('commits a file and its record together, or neither', async () => {
    const db = await emptyDatabase()
    const sql = ownerPool(db)
    // V002 runs fine, but recording it fails: its own effects must go too, or a re-run
    // would apply it a second time.
    const dir = await folder({
      'V001__create_log.sql': ORDERED['V001__create_log.sql'],
      'V002__unrecordable.sql': [
        'create table made_by_v002 (id int);',
        'alter table migrations.applied add constraint refuse_v002 check (version <> 2);',
        '',
      ].join('\n'),
    })

    const error = await migrationError(migrate(sql, dir, quiet))

    expectCode(error, 'MIGRATION_FAILED', 'V002__unrecordable.sql')
    expect(error.message).toContain('refuse_v002')
    expect(await tableExists(sql, 'made_by_v002'), 'V002 rolled back with its record').toBe(false)
    expect((await applied(sql)).map((row) => row.version)).toEqual([1])
  })

  it('names the line of a syntax error', async () => {
    const db = await emptyDatabase()
    const sql = ownerPool(db)
    const dir = await folder({
      'V001__broken.sql': 'create table fine (id int);\n\ncreat table broken (id int);\n',
    })

    const error = await migrationError(migrate(sql, dir, quiet))

    expectCode(error, 'MIGRATION_FAILED', 'V001__broken.sql')
    expect(error.message).toMatch(/at line 3: syntax error at or near "creat" \(SQLSTATE 42601\)/)
    expect(await tableExists(sql, 'fine')).toBe(false)
  })

  it('reports progress through the logger', async () => {
    const db = await emptyDatabase()
    const sql = ownerPool(db)
    const dir = await folder(ORDERED)
    const log = recorder()

    await migrate(sql, dir, log)
    await migrate(sql, dir, log)

    const names = Object.keys(ORDERED)
    expect(log.lines.map(({ message, fields }) => [message, fields.file ?? null])).toEqual([
      ...names.flatMap((name) => [
        ['applying migration', name],
        ['applied migration', name],
      ]),
      ['migrations up to date', null],
      ['migrations up to date', null],
    ])
    const done = log.lines.filter((line) => line.message === 'migrations up to date')
    expect(done.map((line) => line.fields)).toEqual([
      { applied: 3, already_applied: 0 },
      { applied: 0, already_applied: 3 },
    ])
    for (const line of log.lines.filter((l) => l.message === 'applied migration')) {
      expect(line.fields.duration_ms).toBeTypeOf('number')
    }
  })

  it('applies the real migrations to an empty database and seeds every config at version 1', async () => {
    const db = await emptyDatabase()
    const sql = ownerPool(db)
    const dir = new URL('./migrations/', import.meta.url)
    const files = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort()

    const result = await migrate(sql, dir, quiet)

    expect(result.applied).toEqual(files)
    // Read as the administrator: the config tables force row-level security.
    const configs = await db.admin<{ service: string; version: number }[]>`
      select service, version from service_configs order by service`
    expect(configs).toEqual(
      ['auth', 'chat', 'features', 'projects', 'ratelimits'].map((service) => ({
        service,
        version: 1,
      })),
    )
    const history = await db.admin`select service from config_history where version = 1`
    expect(history).toHaveLength(5)
  })
})
