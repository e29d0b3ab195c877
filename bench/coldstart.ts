import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { createTestAuth } from '#test/harness/auth.ts'
import { freePort } from '#test/harness/local-servers.ts'
import { benchBundle, ROOT } from './lib/bundle.ts'
import { runMain } from './lib/cleanup.ts'
import { functionEnv } from './lib/function-env.ts'
import { serveJwks } from './lib/jwks.ts'
import { LatencyRecorder } from './lib/latency.ts'
import { LOOPBACK_FLAGS } from './lib/loopback.ts'
import { machineFacts } from './lib/machine.ts'
import { readOptions } from './lib/options.ts'
import { provideBenchPostgres } from './lib/postgres.ts'
import { type Child, logDirectory, spawnNode, waitForOk } from './lib/processes.ts'

/**
 * How long the bundled projects function takes from spawn to ready, against Node itself.
 * Interleaved, one process at a time, the same way each:
 *   node      `node -e 0`: spawn → exit (what Node's own start and exit cost)
 *   function  `node dist/projects/index.mjs`: spawn → first 200 on /readyz, i.e. bundle
 *             loaded, environment checked, database connected, the `projects` and
 *             `ratelimits` configs loaded and listening (a quick start listens once it
 *             is ready). Then SIGTERM (untimed).
 *   floor     lib/floor-app.ts, bundled now: spawn → first 200 on /readyz of the least a
 *             function on this stack could do (Hono, @hono/node-server and postgres.js
 *             loaded, the config query run once, listening). Not a target: it shows how
 *             much of the function's time its own start adds.
 * All get the same Node flags (the loopback preload, see lib/loopback.ts) and a minimal
 * environment. Last line: `ratio <function p50 / node p50>`. Issue 3's target is ≤ 3.
 */

const options = readOptions('npm run bench:coldstart -- [options]', {
  runs: { min: 1, default: 30, help: 'measured starts of each' },
  warmup: { default: 2, help: 'unmeasured starts of each first (page cache, PostgreSQL)' },
  poll: { min: 1, default: 5, help: 'milliseconds between two /readyz polls' },
  build: { default: true, help: 'run `npm run build` first (off: use dist/ as it is)' },
})

interface Phases {
  listening: LatencyRecorder
  ready: LatencyRecorder
}

await runMain(async () => {
  for (const line of machineFacts()) out(line)
  const bundle = await benchBundle('projects', options.build)
  const pg = await provideBenchPostgres()
  out(`postgresql: ${pg.serverVersion}, ${pg.source}`)
  out(`function: ${bundle.description}`)
  out(
    `settings: ${options.runs} measured starts of each (after ${options.warmup} unmeasured), interleaved; /readyz polled every ${options.poll} ms`,
  )
  const auth = await createTestAuth()
  const jwksUrl = await serveJwks(auth.keys.publicJwks())
  const logs = await logDirectory('tenantry-bench-coldstart-')

  const floorApp = join(logs, 'floor-app.cjs')
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['bench/lib/floor-app.ts'],
    outfile: floorApp,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    logLevel: 'warning',
  })

  const node = new LatencyRecorder()
  const floor = new LatencyRecorder()
  const fn = new LatencyRecorder()
  const phases: Phases = { listening: new LatencyRecorder(), ready: new LatencyRecorder() }

  const startNode = async (): Promise<number> => {
    const t0 = performance.now()
    const child = spawnNode({ name: 'node -e 0', args: [...LOOPBACK_FLAGS, '-e', '0'], env: {} })
    const code = await child.exited
    const ms = performance.now() - t0
    if (code !== 0) throw new Error(`node -e 0 exited ${code}`)
    return ms
  }

  /** ms from `spawnedAt` (performance.now()) to the child's first /readyz 200; then stops it. */
  const untilReady = async (child: Child, port: number, spawnedAt: number): Promise<number> => {
    try {
      return (await waitForOk(child, port, '/readyz', { intervalMs: options.poll })) - spawnedAt
    } finally {
      await child.stop()
    }
  }

  const startFloor = async (): Promise<number> => {
    const port = await freePort()
    const t0 = performance.now()
    const child = spawnNode({
      name: 'floor app',
      args: [...LOOPBACK_FLAGS, floorApp],
      env: { PORT: String(port), DATABASE_URL: pg.url('tenantry_app') },
      logFile: join(logs, 'floor.log'),
    })
    return untilReady(child, port, t0)
  }

  const startFunction = async (run: number, record: boolean): Promise<number> => {
    const port = await freePort()
    const logFile = join(logs, `function-${run}.log`)
    const spawnedAt = Date.now()
    const t0 = performance.now()
    const child = spawnNode({
      name: 'projects function',
      args: [...LOOPBACK_FLAGS, bundle.path],
      env: functionEnv({ port, databaseUrl: pg.url('tenantry_app'), jwksUrl, logLevel: 'info' }),
      logFile,
    })
    const ms = await untilReady(child, port, t0)
    // Read after the exit: the function batches its log lines and flushes them on exit.
    if (record) recordPhases(logFile, spawnedAt, phases)
    return ms
  }

  for (let run = 0; run < options.warmup + options.runs; run++) {
    const measured = run >= options.warmup
    // Rotate which goes first, so drift spreads over all three.
    const order = ['node', 'floor', 'function'].map(
      (_, i, all) => all[(i + run) % all.length] as string,
    )
    const line: string[] = []
    for (const which of order) {
      if (which === 'node') {
        const ms = await startNode()
        if (measured) node.record(ms)
        line.push(`node ${ms.toFixed(0)} ms`)
      } else if (which === 'floor') {
        const ms = await startFloor()
        if (measured) floor.record(ms)
        line.push(`floor ${ms.toFixed(0)} ms`)
      } else {
        const ms = await startFunction(run, measured)
        if (measured) fn.record(ms)
        line.push(`function ${ms.toFixed(0)} ms`)
      }
    }
    process.stderr.write(
      `${measured ? `run ${run - options.warmup + 1}/${options.runs}` : 'warm-up'}  ${line.join('  ')}\n`,
    )
  }

  out('')
  const width = 44
  out(
    `${'start'.padEnd(width)}  ${'p50 ms'.padStart(7)}  ${'p99 ms'.padStart(7)}  ${'mean ms'.padStart(7)}  ${'min ms'.padStart(7)}  ${'max ms'.padStart(7)}  runs`,
  )
  const row = (name: string, r: LatencyRecorder) =>
    out(
      `${name.padEnd(width)}  ${[r.percentile(50), r.percentile(99), r.mean(), r.percentile(0), r.percentile(100)].map((v) => v.toFixed(1).padStart(7)).join('  ')}  ${r.count}`,
    )
  row('node -e 0 (spawn → exit)', node)
  row('floor app (spawn → /readyz 200)', floor)
  row('projects function (spawn → /readyz 200)', fn)
  out('')
  out('function phases, from its log (ms after spawn, whole milliseconds; p50):')
  out(
    `  listening (bundle loaded, database connected, configs loaded)  ${phases.listening.percentile(50).toFixed(0)}`,
  )
  out(
    `  ready  ${phases.ready.percentile(50).toFixed(0)}  (+${(phases.ready.percentile(50) - phases.listening.percentile(50)).toFixed(0)})`,
  )
  out(`  /readyz 200 seen by the poller  ${fn.percentile(50).toFixed(0)}`)
  out('')
  out(`floor ${(floor.percentile(50) / node.percentile(50)).toFixed(2)} (floor app p50 / node p50)`)
  out(`ratio ${(fn.percentile(50) / node.percentile(50)).toFixed(2)}`)
})

/** The `listening` and `projects ready` lines of the function's log, as ms after spawn. */
function recordPhases(logFile: string, spawnedAt: number, phases: Phases): void {
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      const entry = JSON.parse(line) as { msg?: string; time?: string }
      const at = entry.time ? Date.parse(entry.time) - spawnedAt : Number.NaN
      if (!Number.isFinite(at)) continue
      if (entry.msg === 'listening') phases.listening.record(at)
      if (entry.msg === 'projects ready') phases.ready.record(at)
    } catch {
      // not a log line of ours
    }
  }
}

function out(line: string): void {
  process.stdout.write(`${line}\n`)
}
