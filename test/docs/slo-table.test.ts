import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { API_ERROR_BUDGET, SLO } from '#platform/slo.ts'
import { proseOnly, ROOT } from './markdown.ts'

/**
 * The SLO table of docs/architecture/architecture.md states exactly what platform/slo.ts
 * defines, the module the load tests' thresholds and the burn-rate alerts come from. The
 * table names each objective's key in slo.ts in its last column; every key of the module
 * must have its row, every row a real key, and each target the module's number in the
 * unit its name implies.
 */

const PAGE = 'docs/architecture/architecture.md'

/** Every number of the SLO module by its dotted key, plus the derived error budget. */
function objectives(): Map<string, number> {
  const out = new Map<string, number>([['API_ERROR_BUDGET', API_ERROR_BUDGET]])
  const walk = (value: unknown, path: string[]) => {
    if (typeof value === 'number') out.set(path.join('.'), value)
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) walk(inner, [...path, key])
    }
  }
  walk(SLO, [])
  return out
}

type Unit = '%' | 'ms' | 's' | 'days'

/** The unit a key's name promises: …Ms, …Seconds, …Days, or a share shown as a percentage. */
function unitOf(key: string): Unit {
  if (key.endsWith('Ms')) return 'ms'
  if (key.endsWith('Seconds')) return 's'
  if (key.endsWith('Days')) return 'days'
  return '%'
}

interface Row {
  cells: string[]
  line: number
}

/** The rows of the first table whose header has a column naming platform/slo.ts. */
function sloTable(markdown: string): { header: string[]; rows: Row[] } | undefined {
  const lines = proseOnly(markdown).split('\n')
  const original = markdown.split('\n')
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim())
  for (let i = 0; i + 1 < lines.length; i++) {
    const header = lines[i] as string
    if (!header.trim().startsWith('|') || !/^\s*\|?\s*:?-{3,}/.test(lines[i + 1] as string)) {
      continue
    }
    // The header is read from the original: the key column's name is in backticks.
    const names = cells(original[i] as string)
    if (!names.some((name) => name.includes('slo.ts'))) continue
    const rows: Row[] = []
    for (let j = i + 2; j < lines.length && (lines[j] as string).trim().startsWith('|'); j++) {
      rows.push({ cells: cells(original[j] as string), line: j + 1 })
    }
    return { header: names, rows }
  }
  return undefined
}

const AMOUNT = /(\d+(?:\.\d+)?)\s*(%|ms|s|days?)(?![A-Za-z])/g

/** Every disagreement between the page's SLO table and platform/slo.ts. */
function sloTableProblems(markdown: string): string[] {
  const table = sloTable(markdown)
  if (!table) return [`${PAGE}: no table with a column naming platform/slo.ts`]
  const keyColumn = table.header.findIndex((name) => name.includes('slo.ts'))
  const targetColumn = table.header.findIndex((name) => /^target$/i.test(name))
  if (targetColumn < 0) return [`${PAGE}: the SLO table has no "Target" column`]
  const expected = objectives()
  const problems: string[] = []
  const seen = new Set<string>()
  for (const { cells, line } of table.rows) {
    const key = (cells[keyColumn] ?? '').replace(/`/g, '').trim()
    const value = expected.get(key)
    if (value === undefined) {
      problems.push(`${PAGE}:${line}: "${key}" is not a number of platform/slo.ts`)
      continue
    }
    seen.add(key)
    const amounts = [...(cells[targetColumn] ?? '').matchAll(AMOUNT)]
    if (amounts.length !== 1) {
      problems.push(`${PAGE}:${line}: ${key}: the target must state one amount with its unit`)
      continue
    }
    const [, number, rawUnit] = amounts[0] as RegExpMatchArray
    const unit = (rawUnit === 'day' ? 'days' : rawUnit) as Unit
    const wanted = unitOf(key)
    const stated = Number(number)
    const actual = wanted === '%' ? value * 100 : value
    if (unit !== wanted) {
      problems.push(`${PAGE}:${line}: ${key}: stated in ${unit}, slo.ts counts it in ${wanted}`)
    } else if (Math.abs(stated - actual) > 1e-9) {
      problems.push(`${PAGE}:${line}: ${key}: the page says ${stated} ${unit}, slo.ts ${actual}`)
    }
  }
  for (const key of expected.keys()) {
    if (!seen.has(key)) problems.push(`${PAGE}: no row for ${key} of platform/slo.ts`)
  }
  return problems
}

describe(`the SLO table of ${PAGE}`, () => {
  it('states exactly the objectives of platform/slo.ts', async () => {
    const markdown = await readFile(join(ROOT, PAGE), 'utf8')
    const problems = sloTableProblems(markdown)
    expect(problems, problems.join('\n')).toEqual([])
  })
})

describe('the SLO table check', () => {
  const row = (label: string, target: string, key: string) =>
    `| ${label} | ${target} | \`${key}\` |`
  const complete = [
    '| Objective | Target | Key in `platform/slo.ts` |',
    '|---|---|---|',
    row('Availability', '99 % of requests', 'api.availability'),
    row('Error budget', '1 %', 'API_ERROR_BUDGET'),
    row('p95', '< 500 ms', 'api.latency.p95Ms'),
    row('p99', '< 1000 ms', 'api.latency.p99Ms'),
    row('Config propagation p99', '< 100 ms', 'config.propagationP99Ms'),
    row('Staleness', '> 600 s is stale', 'config.maxStalenessSeconds'),
    row('Chat fan-out p99', '< 250 ms', 'chat.fanoutP99Ms'),
    row('Window', '30 days', 'windowDays'),
  ]

  it('accepts a table that matches', () => {
    expect(sloTableProblems(complete.join('\n'))).toEqual([])
  })

  it('fails on a changed number, a wrong unit, a missing row and an unknown key', () => {
    const changed = complete.map((line) => line.replace('< 500 ms', '< 400 ms'))
    expect(sloTableProblems(changed.join('\n'))).toEqual([
      `${PAGE}:5: api.latency.p95Ms: the page says 400 ms, slo.ts 500`,
    ])
    const unit = complete.map((line) => line.replace('< 100 ms', '< 100 s'))
    expect(sloTableProblems(unit.join('\n'))).toEqual([
      `${PAGE}:7: config.propagationP99Ms: stated in s, slo.ts counts it in ms`,
    ])
    const missing = complete.filter((line) => !line.includes('chat.fanoutP99Ms'))
    expect(sloTableProblems(missing.join('\n'))).toEqual([
      `${PAGE}: no row for chat.fanoutP99Ms of platform/slo.ts`,
    ])
    const unknown = [...complete, row('Made up', '5 ms', 'api.madeUpMs')]
    expect(sloTableProblems(unknown.join('\n'))).toEqual([
      `${PAGE}:11: "api.madeUpMs" is not a number of platform/slo.ts`,
    ])
    expect(sloTableProblems('# No table here')).toHaveLength(1)
  })
})
