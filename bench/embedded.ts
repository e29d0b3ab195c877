import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmbeddedPostgres } from '#platform/embedded/postgres.ts'
import { connect, type Sql } from '#shared/db/client.ts'
import { withUser } from '#shared/db/tenant.ts'
import { createLogger } from '#shared/log.ts'
import { onCleanup, runMain } from './lib/cleanup.ts'
import { machineFacts } from './lib/machine.ts'
import { readOptions } from './lib/options.ts'
import { provideBenchPostgres } from './lib/postgres.ts'

/**
 * The embedded default's PostgreSQL (ADR-0006): what a first `npm start` waits for
 * (cluster created, started, roles and migrations), what every later start waits for,
 * the first query of a new pool, and write transactions per second over 10 connections
 * — the guest sign-in's transaction (BEGIN, set_config, INSERT into users under RLS,
 * COMMIT) — against the same loop on the machine's own PostgreSQL server in the same run.
 * Last line: `ratio <embedded/local>` (write throughput).
 */

const options = readOptions('npm run bench:embedded -- [options]', {
  starts: { min: 1, default: 5, help: 'warm starts measured (each a stop and a start)' },
  seconds: { min: 0.5, default: 5, help: 'seconds of writes per side' },
  connections: { min: 1, default: 10, help: 'pool size and concurrent writers' },
})

const log = createLogger('bench', { level: 'warn' })

async function writesPerSecond(url: string): Promise<number> {
  const sql: Sql = connect(url, { max: options.connections })
  try {
    // Connections open and the statement prepared before the clock starts.
    await Promise.all(Array.from({ length: options.connections }, () => signIn(sql)))
    let done = 0
    const deadline = performance.now() + options.seconds * 1000
    const started = performance.now()
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (performance.now() < deadline) {
          await signIn(sql)
          done++
        }
      }),
    )
    return done / ((performance.now() - started) / 1000)
  } finally {
    await sql.end({ timeout: 2 })
  }
}

function signIn(sql: Sql): Promise<unknown> {
  const id = randomUUID()
  const handle = `guest-${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}`
  return withUser(sql, id, (tx) => tx`insert into users (id, handle) values (${id}, ${handle})`)
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

await runMain(async () => {
  process.stdout.write(`${machineFacts().join('\n')}\n`)
  const dir = await mkdtemp(join(tmpdir(), 'tenantry-bench-embedded-'))
  onCleanup('remove the data directory', () => rm(dir, { recursive: true, force: true }))

  let t = performance.now()
  let pg = await startEmbeddedPostgres(dir, log)
  const initMs = performance.now() - t
  onCleanup('stop the embedded PostgreSQL', () => pg.stop())
  const starts: number[] = []
  const firstQueries: number[] = []
  for (let i = 0; i < options.starts; i++) {
    await pg.stop()
    t = performance.now()
    pg = await startEmbeddedPostgres(dir, log)
    starts.push(performance.now() - t)
    const sql = connect(pg.url, { max: 1 })
    t = performance.now()
    await sql`select 1`
    firstQueries.push(performance.now() - t)
    await sql.end()
  }
  const embedded = await writesPerSecond(pg.url)
  await pg.stop()

  const local = await provideBenchPostgres()
  const baseline = await writesPerSecond(local.url('tenantry_app'))

  process.stdout.write(`baseline: ${local.source}, PostgreSQL ${local.serverVersion}\n`)
  process.stdout.write(`init_ms ${initMs.toFixed(0)}\n`)
  process.stdout.write(`start_ms ${median(starts).toFixed(0)}\n`)
  process.stdout.write(`first_query_ms ${median(firstQueries).toFixed(1)}\n`)
  process.stdout.write(`baseline_write_tps ${baseline.toFixed(0)}\n`)
  process.stdout.write(`write_tps ${embedded.toFixed(0)}\n`)
  process.stdout.write(`ratio ${(embedded / baseline).toFixed(2)}\n`)
})
