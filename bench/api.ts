import os from 'node:os'
import { createTestAuth } from '#test/harness/auth.ts'
import { benchBundle, ROOT } from './lib/bundle.ts'
import { runMain } from './lib/cleanup.ts'
import { type CpuProbe, machineCpu, processCpu, processesCpu } from './lib/cpu.ts'
import { functionEnv } from './lib/function-env.ts'
import { keepAliveClient } from './lib/http-client.ts'
import { interleave, type Side } from './lib/interleave.ts'
import { serveJwks } from './lib/jwks.ts'
import { LOOPBACK_FLAGS } from './lib/loopback.ts'
import { machineFacts } from './lib/machine.ts'
import { readOptions } from './lib/options.ts'
import { type BenchPostgres, backendsCpu, provideBenchPostgres } from './lib/postgres.ts'
import { type Child, logDirectory, startServer } from './lib/processes.ts'
import { ratioOf, reportRegime } from './lib/report.ts'
import { liftRateLimits, type SeededPairs, seedProjects } from './lib/seed.ts'

/**
 * What the whole request path costs over a bare server: reading one project by primary
 * key over HTTP. Two servers, each its own process on 127.0.0.1 with a pool of 10
 * connections (the functions' pool size, shared/db/client.ts), driven in turn by one
 * keep-alive load generator (this process) at the same concurrency, the same random
 * (project, member) pairs:
 *   a  baseline: a bare node:http server, one postgres.js query as the superuser, JSON
 *   b  GET /v1/projects/{id} on the bundled projects function (node dist/projects/index.mjs)
 *      with the member's token: JWT verification, rate limit, withUser() RLS transaction
 *      as tenantry_app, JSON, request log line, metrics; tracing off, as by default
 *   c  the same function with tracing on (OTEL_EXPORTER_OTLP_ENDPOINT set, every request
 *      sampled): a server span and a transaction span per request, batched and exported
 *      over OTLP/HTTP to a receiver in a process of its own (bench/lib/otlp-sink.ts)
 *   d  with `--compare <bundle>`, another build of the function, e.g. one from a commit
 *      before tracing existed: what tracing costs when it is off
 * Summary lines of the first regime: `tracing_off_cost <1 − b/d>` (with --compare),
 * `ratio_tracing_on <c/a>` and `tracing_on_cost <1 − c/b>` (with --tracing, the default),
 * and last `ratio <b/a>` (throughput), the figure earlier runs printed before tracing
 * existed. Issue 3's target is ≥ 0.5.
 */

const options = readOptions('npm run bench:api -- [options]', {
  concurrency: {
    default: '1,16',
    help: 'comma-separated concurrencies (requests in flight), each run with both sides; the first gives the last `ratio` line',
  },
  rounds: { min: 1, default: 6, help: 'measured rounds; each runs every side once' },
  seconds: { min: 0.1, default: 1.5, help: 'seconds per side per round' },
  warmup: { default: 1.5, help: 'warm-up seconds per side before the first round of a regime' },
  pool: { min: 1, default: 10, help: 'connections per server (the function’s is fixed at 10)' },
  users: { min: 1, default: 200, help: 'users to seed; each owns an org with 10 projects' },
  logLevel: {
    default: 'info',
    help: 'LOG_LEVEL of the function (info: one log line per request, as in production)',
  },
  build: { default: true, help: 'run `npm run build` first (off: use dist/ as it is)' },
  tracing: {
    default: true,
    help: 'also run side c, the function with tracing on (off: sides a and b only)',
  },
  compare: {
    default: '',
    help: 'also run side d: another build of the function, e.g. dist/projects/index.mjs of a worktree at a commit without tracing; prints tracing_off_cost <1 − b/d>',
  },
  functionFlags: {
    default: '',
    help: 'extra Node flags for the function, space-separated (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")',
  },
})

const FUNCTION_POOL = 10

const SIDE = {
  baseline: 'a bare node:http + postgres.js',
  off: 'b projects function (bundle)',
  on: 'c projects function, tracing on',
  compare: 'd projects function, --compare build',
} as const

await runMain(async () => {
  const concurrencies = parseConcurrencies(options.concurrency)
  if (options.pool !== FUNCTION_POOL) {
    process.stderr.write(
      `note: --pool ${options.pool} applies to the baseline only; the function's pool is ${FUNCTION_POOL}\n`,
    )
  }
  for (const line of machineFacts()) out(line)
  const bundle = await benchBundle('projects', options.build)
  const pg = await provideBenchPostgres()
  out(`postgresql: ${pg.serverVersion}, ${pg.source}`)
  out(
    `settings: concurrency ${concurrencies.join(', ')}; pool ${options.pool} (baseline) and ${FUNCTION_POOL} (function); ${options.rounds} rounds × ${options.seconds} s per side, warm-up ${options.warmup} s; function LOG_LEVEL ${options.logLevel}`,
  )
  out(`function: ${bundle.description}`)
  const pairs = await seedProjects(pg.url(null), options.users)
  await liftRateLimits(pg.url(null))
  out(
    `data: ${options.users} users, ${options.users} orgs, ${pairs.projects} projects, ${pairs.projectIds.length} (project, member) pairs; authenticated rate limit lifted`,
  )

  const auth = await createTestAuth()
  const jwksUrl = await serveJwks(auth.keys.publicJwks())
  const tokens = new Map<string, string>()
  for (const user of pairs.users) tokens.set(user.id, await auth.bearer(user))

  const logs = await logDirectory('tenantry-bench-api-')
  const functionSide = (port: number, extra: Record<string, string> = {}) =>
    functionEnv({
      port,
      databaseUrl: pg.url('tenantry_app'),
      jwksUrl,
      logLevel: options.logLevel,
      extra,
    })
  const sink = options.tracing
    ? await startServer('otlp sink', [`${ROOT}bench/lib/otlp-sink.ts`], logs, (port) => ({
        PORT: String(port),
      }))
    : undefined
  // The function's sides: b as deployed (tracing off), c with tracing on, and with
  // --compare d, another build of the function (one without the tracing code, say).
  const functionSides: { name: string; path: string; extra?: Record<string, string> }[] = [
    { name: SIDE.off, path: bundle.path },
    ...(sink
      ? [
          {
            name: SIDE.on,
            path: bundle.path,
            extra: {
              OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}`,
              OTEL_SERVICE_NAME: 'projects-bench',
            },
          },
        ]
      : []),
    ...(options.compare ? [{ name: SIDE.compare, path: options.compare }] : []),
  ]
  const [baseline, ...functionServers] = await Promise.all([
    startServer(
      'a baseline server',
      [...LOOPBACK_FLAGS, `${ROOT}bench/lib/bare-server.ts`],
      logs,
      (port) => ({
        PORT: String(port),
        DATABASE_URL: pg.url(null),
        POOL_MAX: String(options.pool),
      }),
    ),
    ...functionSides.map((side) =>
      startServer(
        side.name,
        [...LOOPBACK_FLAGS, ...flags(options.functionFlags), side.path],
        logs,
        (port) => functionSide(port, side.extra),
      ),
    ),
  ])
  if (options.compare) out(`d: ${options.compare}`)
  const servers = [baseline, ...functionServers]
  const probes = await cpuProbes(
    pg,
    servers.map((server) => server.child),
  )

  const summary: string[] = []
  const tracedSummary: { on?: number; onCost?: number; offCost?: number }[] = []
  for (const concurrency of concurrencies) {
    const label = `concurrency ${concurrency}`
    out('')
    out(`== ${label}`)
    const results = await runRegime(
      concurrency,
      pairs,
      tokens,
      baseline.port,
      functionSides.map((side, i) => ({ name: side.name, port: functionServers[i]?.port ?? 0 })),
      probes,
    )
    const has = (name: string) => results.some((r) => r.name === name)
    const ratio = reportRegime(results, {
      a: SIDE.baseline,
      b: SIDE.off,
      ratioLabel: `ratio (${label})`,
      extraRatios: [
        ...(has(SIDE.on)
          ? [
              { label: `ratio_tracing_on (${label})`, x: SIDE.baseline, y: SIDE.on },
              { label: `tracing_on_throughput (${label}, c/b)`, x: SIDE.off, y: SIDE.on },
            ]
          : []),
        ...(has(SIDE.compare)
          ? [{ label: `tracing_off_throughput (${label}, b/d)`, x: SIDE.compare, y: SIDE.off }]
          : []),
      ],
      cores: os.availableParallelism(),
      cpuLegend:
        'client: this load generator; server: the side’s server process; postgres: the bench database’s backends; machine: all CPUs, other jobs included',
      write: out,
    })
    summary.push(ratio.toFixed(2))
    tracedSummary.push({
      ...(has(SIDE.on)
        ? {
            on: ratioOf(results, SIDE.baseline, SIDE.on),
            onCost: 1 - ratioOf(results, SIDE.off, SIDE.on),
          }
        : {}),
      ...(has(SIDE.compare) ? { offCost: 1 - ratioOf(results, SIDE.compare, SIDE.off) } : {}),
    })
  }
  if (sink) {
    const stats = await fetch(`http://127.0.0.1:${sink.port}/stats`).then((res) => res.json())
    out(`otlp sink received: ${JSON.stringify(stats)}`)
  }
  for (const server of [...servers, ...(sink ? [sink] : [])]) {
    if (server.child.done) {
      process.stderr.write(
        `${server.child.name} exited during the run:\n${server.child.output()}\n`,
      )
      process.exitCode = 1
    }
  }
  out('')
  const first = tracedSummary[0] ?? {}
  if (first.offCost !== undefined) out(`tracing_off_cost ${first.offCost.toFixed(2)}`)
  if (first.on !== undefined) out(`ratio_tracing_on ${first.on.toFixed(2)}`)
  if (first.onCost !== undefined) out(`tracing_on_cost ${first.onCost.toFixed(2)}`)
  out(`ratio ${summary[0]}`)
})

function flags(text: string): string[] {
  return text.split(/\s+/).filter((flag) => flag !== '')
}

function parseConcurrencies(text: string): number[] {
  return text.split(',').map((part) => {
    const value = Number(part.trim())
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`--concurrency: "${part}" is not a whole number ≥ 1`)
    }
    return value
  })
}

async function runRegime(
  concurrency: number,
  pairs: SeededPairs,
  tokens: Map<string, string>,
  baselinePort: number,
  functions: { name: string; port: number }[],
  probes: CpuProbe[],
) {
  const clientA = keepAliveClient(baselinePort, concurrency)
  const functionClients = functions.map((fn) => ({
    name: fn.name,
    client: keepAliveClient(fn.port, concurrency),
  }))
  const pick = () => Math.floor(Math.random() * pairs.projectIds.length)
  // Every request must answer 200 with its project (anything else counts as an error).
  const expectProject = (answer: { status: number; body: string }, id: string) => {
    if (answer.status !== 200) {
      throw new Error(`project ${id}: status ${answer.status}: ${answer.body.slice(0, 300)}`)
    }
    if ((JSON.parse(answer.body) as { id?: string }).id !== id) {
      throw new Error(`project ${id}: another body: ${answer.body.slice(0, 300)}`)
    }
  }
  const sides: Side[] = [
    {
      name: SIDE.baseline,
      operation: async () => {
        const id = pairs.projectIds[pick()] as string
        expectProject(await clientA.get(`/projects/${id}`), id)
      },
    },
    ...functionClients.map(({ name, client }) => ({
      name,
      operation: async () => {
        const i = pick()
        const id = pairs.projectIds[i] as string
        const token = tokens.get(pairs.members[i]?.id ?? '') as string
        expectProject(await client.get(`/v1/projects/${id}`, { authorization: token }), id)
      },
    })),
  ]
  try {
    return await interleave(sides, {
      rounds: options.rounds,
      roundMs: options.seconds * 1000,
      warmupMs: options.warmup * 1000,
      concurrency,
      probes,
    })
  } finally {
    clientA.close()
    for (const { client } of functionClients) client.close()
  }
}

/**
 * This process (the load generator), the two server processes (only the side running
 * is busy; the other idles), the bench database's backends, and the whole machine.
 */
async function cpuProbes(pg: BenchPostgres, servers: Child[]): Promise<CpuProbe[]> {
  return [
    processCpu('client'),
    processesCpu('server', '', async () => servers.map((s) => s.pid)),
    backendsCpu(pg),
    machineCpu(),
  ]
}

function out(line: string): void {
  process.stdout.write(`${line}\n`)
}
