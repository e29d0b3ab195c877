import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { EntityName } from '#shared/http/names.ts'
import { ENTITY_NAME_CASES, SWEPT_RANGES, sweptCodePoints } from '#test/fixtures/entity-names.ts'
import { createTestDatabase, useTestDatabase } from '#test/harness/database.ts'
import { connect } from './client.ts'
import { MigrationError, migrate } from './migrate.ts'

/**
 * The API's schema (shared/http/names.ts) and the database's entity_name domain
 * (V004) accept the same names. The API trims what it is sent, then checks; the
 * database checks what is stored. So for every string s:
 *   the API accepts s          ⇔ the database accepts s.trim()
 *   the database accepts s     ⇔ s is trimmed and the API accepts s
 * The database is asked as tenantry_app, the role the functions write names as.
 */

const db = useTestDatabase({ appPool: 5 })

const apiAccepts = (name: string) => v.safeParse(EntityName, name).success
/** What the database must say about a stored value, derived from the API. */
const storable = (name: string) => name === name.trim() && apiAccepts(name)

/** 'accepted', or the SQLSTATE and constraint of the failed cast. */
async function cast(name: string): Promise<string> {
  return db.app`select ${name}::entity_name as name, char_length(${name}) as length`.then(
    ([row]) => {
      expect(row?.name, 'the database keeps the name as sent').toBe(name)
      expect(row?.length, 'char_length() counts code points, as the API does').toBe(
        [...name].length,
      )
      return 'accepted'
    },
    (error: { code?: string; constraint_name?: string }) =>
      `${error.code} ${error.constraint_name ?? ''}`.trim(),
  )
}

const REFUSED = '23514 entity_name_check'

describe('the shared cases, through the API and the database', () => {
  it.each(ENTITY_NAME_CASES.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const stored = c.name.trim()
    const verdicts = {
      api: apiAccepts(c.name),
      database: await cast(stored),
      ...(stored === c.name ? {} : { untrimmed: await cast(c.name) }),
    }
    expect(verdicts).toEqual({
      api: c.valid,
      database: c.valid ? 'accepted' : REFUSED,
      ...(stored === c.name ? {} : { untrimmed: REFUSED }),
    })
  })
})

describe('every code point, through the API and the database', () => {
  it('is checked by entity_name_is_valid() alone, which the sweeps below call', async () => {
    const rows = await db.admin`
      select c.conname, pg_get_constraintdef(c.oid) as def
        from pg_constraint c where c.contypid = 'entity_name'::regtype`
    expect(rows.map((r) => [r.conname, r.def])).toEqual([
      ['entity_name_check', 'CHECK (entity_name_is_valid(VALUE))'],
    ])
  })

  // Each code point c in a few positions: between letters (the control and format
  // tables), at either end (what trimming removes), joined to itself by a ZWJ and
  // followed by VS16 (the pictographic and keycap tables). One '1' or '0' per code point.
  const ZWJ = '\u200D'
  const VS16 = '\uFE0F'
  const positions: [label: string, before: string, after: string, twice: boolean][] = [
    ['between letters', 'a', 'b', false],
    ['at the start', '', 'a', false],
    ['at the end', 'a', '', false],
    ['joined to itself by ZWJ', '', ZWJ, true],
    ['followed by VS16', '', VS16, false],
  ]

  it.concurrent.each(positions)('%s', async (_label, before, after, twice) => {
    const make = (char: string) => `${before}${char}${after}${twice ? char : ''}`
    const expected = Array.from(sweptCodePoints(), (code) =>
      storable(make(String.fromCodePoint(code))) ? '1' : '0',
    ).join('')
    const [row] = await db.app`
      select string_agg(case when public.entity_name_is_valid(
                           ${before}::text || chr(cp) || ${after}::text
                             || case when ${twice}::boolean then chr(cp) else '' end)
                         then '1' else '0' end, '' order by cp) as verdicts
        from unnest(${SWEPT_RANGES.map((r) => r[0])}::int[], ${SWEPT_RANGES.map((r) => r[1])}::int[])
               as r (lo, hi),
             generate_series(r.lo, r.hi) as cp`
    const actual = String(row?.verdicts)
    const codes = [...sweptCodePoints()]
    const differing = codes
      .filter((_code, i) => actual[i] !== expected[i])
      .slice(0, 20)
      .map((code) => `U+${code.toString(16)} (API ${storable(make(String.fromCodePoint(code)))})`)
    expect(actual.length).toBe(codes.length)
    expect(differing, 'code points the API and the database disagree on').toEqual([])
  })
})

describe('sequences, through the API and the database', () => {
  it('agrees on 30 000 random strings of emoji parts, marks, spaces and letters', async () => {
    const alphabet = [
      'a',
      'é',
      '1',
      '#',
      ' ',
      '\u00A0',
      '\u3000',
      '\u0007',
      '\u200B',
      '\u202E',
      '\u200C',
      '\u200D',
      '\uFE0E',
      '\uFE0F',
      '\u20E3',
      '\u2764',
      '\u263A',
      '\u{1F600}',
      '\u{1F468}',
      '\u{1F3FB}',
      '\u{1F3FF}',
      '\u{1F1E8}',
      '\u{1F3F4}',
      '\u{E0020}',
      '\u{E0067}',
      '\u{E007E}',
      '\u{E007F}',
      '\u{E0001}',
    ]
    const random = mulberry32(0x7e4a47)
    const names = Array.from({ length: 30_000 }, () => {
      const length = 1 + Math.floor(random() * 8)
      return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('')
    })
    const expected = names.map(storable)
    const rows = await db.app<{ ok: boolean }[]>`
      select public.entity_name_is_valid(n) as ok
        from unnest(${names}::text[]) with ordinality as u (n, i) order by i`
    const differing = names
      .filter((_name, i) => rows[i]?.ok !== expected[i])
      .slice(0, 20)
      .map((name) => [...name].map((c) => c.codePointAt(0)?.toString(16)).join(' '))
    expect(rows).toHaveLength(names.length)
    expect(differing, 'names (as hex code points) the API and the database disagree on').toEqual([])
    // The sample is worth something only if it holds both verdicts in numbers.
    expect(expected.filter(Boolean).length).toBeGreaterThan(2000)
    expect(expected.filter((ok) => !ok).length).toBeGreaterThan(2000)
  })
})

describe('the V004 migration', () => {
  const MIGRATIONS = new URL('./migrations/', import.meta.url)

  /** A database migrated up to V003, holding an org named `name`, then V004 on top. */
  async function migrateOver(
    name: string,
  ): Promise<{ outcome: string; version?: number; check?: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'tenantry-v004-'))
    const database = await createTestDatabase({ empty: true })
    const owner = connect(database.url('tenantry_owner'), { max: 1 })
    const quiet = { info: () => {} }
    try {
      const before = (await readdir(MIGRATIONS)).filter((f) => /^V00[1-3]__/.test(f))
      for (const file of before)
        await copyFile(join(fileURLToPath(MIGRATIONS), file), join(dir, file))
      await migrate(owner, dir, quiet)
      const [user] =
        await database.admin`insert into users (handle) values ('guest-4004') returning id`
      await database.admin`insert into orgs (name, created_by) values (${name}, ${user?.id})`
      const outcome = await migrate(owner, MIGRATIONS, quiet).then(
        (result) => `applied ${result.applied.join(', ')}`,
        (error: unknown) =>
          error instanceof MigrationError ? `${error.code}: ${error.message}` : String(error),
      )
      const [state] = await database.admin`
        select (select max(version) from migrations.applied) as version,
               (select pg_get_constraintdef(c.oid) from pg_constraint c
                 where c.contypid = 'entity_name'::regtype) as "check"`
      return { outcome, ...state }
    } finally {
      await owner.end()
      await database.drop()
      await rm(dir, { recursive: true, force: true })
    }
  }

  it('lands over names that follow the new rule', async () => {
    const after = await migrateOver('Zürich \u{1F468}\u200D\u{1F469}\u200D\u{1F467}')
    expect(after.outcome).toMatch(/^applied V004__entity_name_rules\.sql/)
    expect(after.version).toBeGreaterThanOrEqual(4)
  })

  it('fails, rolled back, over a stored name the new rule refuses (RLS does not hide it)', async () => {
    const after = await migrateOver('Acme\u202Egnp.exe')
    expect(after.outcome).toMatch(/^MIGRATION_FAILED: V004__entity_name_rules\.sql failed/)
    expect(after.outcome).toContain('SQLSTATE 23514')
    // V001's check is still in place: the failed migration left nothing half done.
    expect(after).toMatchObject({ version: 3, check: expect.stringContaining('btrim(VALUE)') })
  })
})

/** A small seeded generator, so that a failure can be replayed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
