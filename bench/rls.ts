import os from 'node:os'
import type { TransactionSql } from 'postgres'
import { connect, type Sql } from '#shared/db/client.ts'
import { withUser } from '#shared/db/tenant.ts'
import { onCleanup, runMain } from './lib/cleanup.ts'
import { type CpuProbe, machineCpu, processCpu } from './lib/cpu.ts'
import { interleave, type Side } from './lib/interleave.ts'
import { machineFacts } from './lib/machine.ts'
import { readOptions } from './lib/options.ts'
import { type BenchPostgres, backendsCpu, provideBenchPostgres } from './lib/postgres.ts'
import { reportRegime } from './lib/report.ts'
import { seedProjects } from './lib/seed.ts'

/**
 * What row-level security and the tenant helper cost on the hottest path: reading one
 * project by primary key. Sides, interleaved, same pool size and concurrency, the same
 * random (project, member) pairs:
 *   a  baseline: the bare query, no transaction, as the superuser (sees rows without context)
 *   b  withUser(): BEGIN + set_config + query + COMMIT pipelined, as tenantry_app under RLS
 *   c  naive sql.begin(): the same four statements awaited one by one (for information)
 * Last line: `ratio <b/a>` (throughput). Issue 2's target is ≥ 0.5.
 */

const options = readOptions('npm run bench:rls -- [options]', {
  regimes: {
    default: '1x1,8x32',
    help: 'comma-separated <pool>x<concurrency> load regimes, each run with every side; the first gives the last `ratio` line',
  },
  rounds: { min: 1, default: 8, help: 'measured rounds; each runs every side once' },
  seconds: { min: 0.1, default: 1, help: 'seconds per side per round' },
  warmup: { default: 1, help: 'warm-up seconds per side before the first round' },
  prepare: {
    default: true,
    help: 'named prepared statements (postgres.js `prepare`; off costs an extra round trip per parameterized query)',
  },
  fresh: {
    default: true,
    help: 'new pools for every run of every side (postgres.js 3.4 pools slow down as they age; see rls.ts)',
  },
  naive: { default: true, help: 'also run side c, the naive transaction' },
  users: { min: 1, default: 200, help: 'users to seed; each owns an org with 10 projects' },
})

interface Project {
  id: string
}

/**
 * postgres.js 3.4.9 slows down as a pool ages under sustained pipelined load: while its
 * queue of busy connections never empties, that queue's array keeps one slot per query
 * sent, and every query scans it (Queue.remove → indexOf). Here a bare-query pool (side a)
 * falls from ~22,000 to ~7,000 ops/s within half a minute of load; the reserve() path of
 * sides b and c does not use that queue. So by default every run of every side gets new
 * pools, runs are short (1 s), and an unmeasured settle run first opens the connections
 * and prepares the statement. `--fresh off` keeps one set of pools throughout, to show it.
 */
const SETTLE_MS = 200

interface RunPool {
  readonly sql: Sql
  open(): Promise<void>
  close(): Promise<void>
}

function runPool(url: string, size: number): RunPool {
  let current: Sql | undefined
  const pool: RunPool = {
    get sql(): Sql {
      if (!current) throw new Error('the pool is not open')
      return current
    },
    async open() {
      current ??= connect(url, { max: size, prepare: options.prepare })
    },
    async close() {
      const closing = current
      current = undefined
      await closing?.end({ timeout: 2 })
    },
  }
  onCleanup('end a pool', () => pool.close())
  return pool
}

function hooks(pool: RunPool): Pick<Side, 'before' | 'after'> {
  return options.fresh ? { before: pool.open, after: pool.close } : {}
}

/**
 * Two load regimes by default, both printed:
 *   1x1   one scoped read at a time on one connection: what one request pays. Round
 *         trips dominate here, as they do in a cluster where the database is across
 *         the network; this is what pipelining is for, and the last `ratio` line.
 *   8x32  saturation: 32 reads in flight on 8 connections. On a small machine where
 *         client and server share the cores, this measures CPU per operation instead,
 *         and four statements cost more CPU than one however they are sent.
 */
interface Regime {
  pool: number
  concurrency: number
  label: string
}

function parseRegimes(text: string): Regime[] {
  return text.split(',').map((part) => {
    const match = /^\s*(\d+)x(\d+)\s*$/.exec(part)
    if (!match) throw new Error(`--regimes: "${part}" is not <pool>x<concurrency>`)
    const [pool, concurrency] = [Number(match[1]), Number(match[2])]
    if (pool < 1 || concurrency < 1) throw new Error('--regimes: pool and concurrency are ≥ 1')
    return { pool, concurrency, label: `pool ${pool}, concurrency ${concurrency}` }
  })
}

await runMain(async () => {
  const regimes = parseRegimes(options.regimes)
  const pg = await provideBenchPostgres()
  for (const line of machineFacts()) out(line)
  out(`postgresql: ${pg.serverVersion}, ${pg.source}`)
  out(
    `settings: ${regimes.length} regime(s), ${options.rounds} rounds × ${options.seconds} s per side, warm-up ${options.warmup} s, prepare ${options.prepare ? 'on' : 'off'}, ${options.fresh ? 'fresh pools every run' : 'one set of pools'}`,
  )
  const pairs = await seed(pg, options.users)
  out(
    `data: ${options.users} users, ${options.users} orgs, ${pairs.projects} projects, ${pairs.ids.length} (project, member) pairs`,
  )
  const probes = await cpuProbes(pg)

  const summary: string[] = []
  for (const regime of regimes) {
    out('')
    out(`== ${regime.label}`)
    const results = await runRegime(pg, pairs, regime, probes)
    const [a, b, c] = results
    const ratio = reportRegime(results, {
      a: a?.name ?? '',
      b: b?.name ?? '',
      ratioLabel: `ratio (${regime.label})`,
      extraRatios: c
        ? [{ label: `naive ratio (${regime.label})`, x: a?.name ?? '', y: c.name }]
        : [],
      cores: os.availableParallelism(),
      cpuLegend:
        "client: this Node process; postgres: the bench database's backends; machine: all CPUs, other jobs included",
      write: out,
    })
    summary.push(ratio.toFixed(2))
  }
  out('')
  out(`ratio ${summary[0]}`)
})

type Pairs = Awaited<ReturnType<typeof seed>>

async function runRegime(pg: BenchPostgres, pairs: Pairs, regime: Regime, probes: CpuProbe[]) {
  const baseline = runPool(pg.url(null), regime.pool)
  const app = runPool(pg.url('tenantry_app'), regime.pool)
  const naive = runPool(pg.url('tenantry_app'), regime.pool)
  if (!options.fresh) await Promise.all([baseline.open(), app.open(), naive.open()])

  // Every side reads a random pair; the row must come back (a miss counts as an error).
  const pick = () => Math.floor(Math.random() * pairs.ids.length)
  const sides: Side[] = [
    {
      name: 'a baseline (bare query, superuser)',
      operation: async () => {
        const id = pairs.ids[pick()] as string
        expectRow(await projectById(baseline.sql, id), id)
      },
      ...hooks(baseline),
    },
    {
      name: 'b withUser (app role, RLS)',
      operation: async () => {
        const i = pick()
        const id = pairs.ids[i] as string
        const rows = await withUser(app.sql, pairs.userIds[i] as string, (tx) =>
          projectById(tx, id),
        )
        expectRow(rows, id)
      },
      ...hooks(app),
    },
  ]
  if (options.naive) {
    sides.push({
      name: 'c naive sql.begin (app role, RLS)',
      operation: async () => {
        const i = pick()
        const id = pairs.ids[i] as string
        const userId = pairs.userIds[i] as string
        const rows = await naive.sql.begin(async (tx) => {
          await tx`select set_config('app.user_id', ${userId}, true)`
          return await projectById(tx, id)
        })
        expectRow(rows, id)
      },
      ...hooks(naive),
    })
  }
  try {
    return await interleave(sides, {
      rounds: options.rounds,
      roundMs: options.seconds * 1000,
      warmupMs: options.warmup * 1000,
      settleMs: options.fresh ? SETTLE_MS : 0,
      concurrency: regime.concurrency,
      probes,
    })
  } finally {
    await Promise.all([baseline.close(), app.close(), naive.close()])
  }
}

/** The one statement every side runs (the same text, so the same prepared statement). */
function projectById(sql: Sql | TransactionSql, id: string) {
  return sql<Project[]>`
    select id, org_id, name, description, created_at, updated_at from projects where id = ${id}`
}

function out(line: string): void {
  process.stdout.write(`${line}\n`)
}

function expectRow(rows: readonly Project[], id: string): void {
  if (rows.length !== 1 || rows[0]?.id !== id) {
    throw new Error(`project ${id}: expected its row, got ${rows.length} rows`)
  }
}

/** The shared benchmark data (bench/lib/seed.ts), as (project id, member id) pairs. */
async function seed(pg: BenchPostgres, users: number) {
  const seeded = await seedProjects(pg.url(null), users)
  return {
    ids: seeded.projectIds,
    userIds: seeded.members.map((member) => member.id),
    projects: seeded.projects,
  }
}

/**
 * Client CPU (this process), the bench database's server backends (when the server runs
 * on this machine), and the whole machine: the remainder is other work on the machine.
 */
async function cpuProbes(pg: BenchPostgres): Promise<CpuProbe[]> {
  return [processCpu('client'), backendsCpu(pg), machineCpu()]
}
