import { existsSync, readFileSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { configChannel, encodeHint, parseHint } from '#shared/config/reload.ts'
import { createTestAuth } from '#test/harness/auth.ts'
import { benchBundle, bundlePath, ROOT } from './lib/bundle.ts'
import { onCleanup, runMain } from './lib/cleanup.ts'
import { functionEnv } from './lib/function-env.ts'
import { serveJwks } from './lib/jwks.ts'
import { LatencyRecorder } from './lib/latency.ts'
import { LOOPBACK_FLAGS } from './lib/loopback.ts'
import { machineFacts } from './lib/machine.ts'
import { readOptions } from './lib/options.ts'
import { provideBenchPostgres } from './lib/postgres.ts'
import { type Child, getOnce, logDirectory, spawnNode, startServer } from './lib/processes.ts'
import { type BenchRedis, provideBenchRedis } from './lib/redis.ts'
import { liftRateLimits } from './lib/seed.ts'

/**
 * How fast a committed config write reaches every replica (DESIGN.md §4, ADR-0008), on a
 * real PostgreSQL (lib/postgres.ts) and a redis-server of this benchmark's own:
 *   floor   a bare ioredis PUBLISH (this process) → `--replicas` processes of
 *           lib/subscriber.ts, each a bare SUBSCRIBE writing the arrival time; the same
 *           payload as a hint, paced the same way. Latency: PUBLISH → arrival, µs clock.
 *   config  `--writes` PUT /v1/configs/projects with If-Match, paced, on one process of
 *           the config function; `--replicas` processes of the projects function hold
 *           the `projects` config and keep it current (hint on `config:projects`, then a
 *           primary-key read from SQL). Latency per (replica, version): the hint's
 *           `committed_at` (the writer's clock right after COMMIT, what the product's
 *           config_propagation_seconds starts from; this process subscribes to the channel
 *           to read it) → the `time` of that replica's `config applied` line for the
 *           version (or the first later one, when it skipped it). Both in ms.
 * Every process runs on this machine, so every time is read from the same clock.
 * `--chaos`: Redis is SIGKILLed for `--outage` seconds centred on the writes, then started
 * again on the same port, and the replicas reconcile every 2 s: `lost` must still be 0,
 * and `worst_staleness_ms` shows how long a replica served an older version.
 * Last line: `ratio <p99 / floor p99>`. Issue's targets: p99 ≤ 25 ms, lost 0.
 */

const options = readOptions('npm run bench:config -- [options]', {
  writes: {
    min: 1,
    default: 300,
    help: 'measured config writes (PUTs); the floor publishes as many messages',
  },
  replicas: {
    min: 1,
    default: 8,
    help: 'processes of the projects function; the floor has as many subscribers',
  },
  'pace-ms': {
    min: 1,
    default: 30,
    help: 'ms from the start of one PUT (or floor PUBLISH) to the next',
  },
  warmup: { default: 5, help: 'unmeasured writes (and floor messages) before the measured ones' },
  chaos: {
    default: false,
    help: 'SIGKILL Redis in the middle of the writes; start it again on the same port after --outage s',
  },
  outage: { min: 0.1, default: 5, help: 'seconds Redis stays down with --chaos' },
  reconcile: {
    default: 0,
    help: 'CONFIG_RECONCILE_SECONDS of the functions (0: 300 so that only hints count, 2 with --chaos)',
  },
  source: {
    default: false,
    help: 'run the functions from source (functions/<name>/main.ts) instead of dist/',
  },
  build: {
    default: true,
    help: 'run `npm run build` first (off: use dist/ as it is; not used with --source)',
  },
})

const PACE_MS = options['pace-ms']
const RECONCILE_S = options.reconcile > 0 ? options.reconcile : options.chaos ? 2 : 300
/** How long after its commit a version must be held everywhere: one reconcile period. */
const BOUND_MS = RECONCILE_S * 1000 * 1.1 + 1000
/** How long the run waits after the last write for every replica to hold it. */
const SETTLE_MS = BOUND_MS + 2000 <= 30_000 ? BOUND_MS + 2000 : 10_000
const SERVICE = 'projects'
const FLOOR_CHANNEL = `bench-floor:${SERVICE}`

/** Times are ms since the epoch on the machine's clock. */
interface Write {
  version: number
  /** Just before the PUT was sent (Date.now()). */
  sentAt: number
  /** When its 200 arrived. */
  answeredAt: number
}

interface Applied {
  version: number
  at: number
  /** The line is followed by the reconcile's `config reconciled` (it applied it, not a hint). */
  byReconcile: boolean
}

interface Outage {
  killedAt: number
  restartedAt: number
}

await runMain(async () => {
  if (options.reconcile > 0 && options.reconcile < 0.05) {
    throw new Error('--reconcile: the functions take at least 0.05 seconds')
  }
  for (const line of machineFacts()) out(line)
  const entries = await functionEntries()
  const pg = await provideBenchPostgres()
  out(`postgresql: ${pg.serverVersion}, ${pg.source}`)
  await liftRateLimits(pg.url(null))
  const redis = await provideBenchRedis()
  out(`redis: ${redis.description}`)
  out(`replicas: ${entries.projects.description}`)
  out(`writer: ${entries.config.description}`)
  out(
    `settings: ${options.replicas} replicas; ${options.writes} writes after ${options.warmup} warm-up, one every ${PACE_MS} ms, each with If-Match; the floor: as many PUBLISHes to ${options.replicas} subscribers at the same pace`,
  )
  out(
    `CONFIG_RECONCILE_SECONDS ${RECONCILE_S}: ${
      options.reconcile > 0
        ? 'set by --reconcile'
        : options.chaos
          ? 'short, so that the reconcile recovers what Redis lost'
          : 'long, so that only hints count'
    }${options.chaos ? `; Redis SIGKILLed for ${options.outage} s centred on the measured writes, then started again on the same port` : ''}; the floor runs first, then the writes`,
  )

  const auth = await createTestAuth()
  const jwksUrl = await serveJwks(auth.keys.publicJwks())
  const token = await auth.clientBearer('ops', ['config:read', 'config:write'])
  const logs = await logDirectory('tenantry-bench-config-')

  const command = new Redis(redis.url, { maxRetriesPerRequest: 1 })
  command.on('error', () => {}) // down on purpose with --chaos
  onCleanup('close the Redis command connection', () => command.disconnect())

  // ---- floor ------------------------------------------------------------------------
  const floor = await runFloor(redis, command, logs)

  // ---- config: hints and commit times -----------------------------------------------
  /** version → the hint's committed_at, as this process received it. */
  const committedAt = new Map<number, number>()
  const hints = new Redis(redis.url, { retryStrategy: () => 50, maxRetriesPerRequest: null })
  hints.on('error', () => {})
  hints.on('message', (_channel: string, text: string) => {
    const hint = parseHint(text)
    if (hint?.service === SERVICE) committedAt.set(hint.version, hint.committed_at)
  })
  onCleanup('close the hint subscriber', () => hints.disconnect())
  await hints.subscribe(configChannel(SERVICE))

  const env = (port: number) =>
    functionEnv({
      port,
      databaseUrl: pg.url('tenantry_app'),
      jwksUrl,
      logLevel: 'info',
      extra: { REDIS_URL: redis.url, CONFIG_RECONCILE_SECONDS: String(RECONCILE_S) },
    })
  const [writer, ...replicas] = await Promise.all([
    startServer('config function', [...LOOPBACK_FLAGS, entries.config.path], logs, env),
    ...Array.from({ length: options.replicas }, (_, i) =>
      startServer(
        `projects replica ${i + 1}`,
        [...LOOPBACK_FLAGS, entries.projects.path],
        logs,
        env,
      ),
    ),
  ])
  if (!writer) throw new Error('no writer')
  // Hot reload subscribes once a replica is ready: wait for every replica (and us).
  await until(
    async () => (await numsub(command, configChannel(SERVICE))) >= options.replicas + 1,
    `${options.replicas} replicas subscribed to ${configChannel(SERVICE)}`,
    20_000,
    replicas.map((r) => r.child),
  )

  const client = new http.Agent({ keepAlive: true, maxSockets: 1 })
  onCleanup('close the writer connection', () => client.destroy())
  const current = await call(client, writer.port, 'GET', `/v1/configs/${SERVICE}`, token)
  if (current.status !== 200) {
    throw new Error(`GET /v1/configs/${SERVICE}: ${current.status} ${current.body.slice(0, 300)}`)
  }
  let version = (JSON.parse(current.body) as { version: number }).version

  // ---- config: the writes (and the outage) ------------------------------------------
  const writes: Write[] = []
  const putTimes = new LatencyRecorder()
  let behind = 0
  const t0 = performance.now() + 50
  const measuredStart = t0 + options.warmup * PACE_MS
  const span = options.writes * PACE_MS
  const killAt = measuredStart + Math.max(0, (span - options.outage * 1000) / 2)
  let outage: Outage | undefined
  const chaos = options.chaos
    ? (async (): Promise<Outage> => {
        await sleepUntil(killAt)
        await redis.kill()
        const killedAt = Date.now()
        process.stderr.write('redis killed\n')
        await sleep(options.outage * 1000)
        await redis.start()
        process.stderr.write('redis started again\n')
        return { killedAt, restartedAt: Date.now() }
      })()
    : undefined
  // Settled below; a failed write must not leave it an unhandled rejection meanwhile.
  chaos?.catch(() => {})
  const total = options.warmup + options.writes
  for (let i = 0; i < total; i++) {
    const target = t0 + i * PACE_MS
    if (performance.now() > target + PACE_MS) behind++
    await sleepUntil(target)
    const sentAt = Date.now()
    const started = performance.now()
    const answer = await call(client, writer.port, 'PUT', `/v1/configs/${SERVICE}`, token, {
      headers: { 'if-match': `"${version}"` },
      body: { data: { max_projects_per_org: 1000 + i } },
    })
    const answeredAt = Date.now()
    if (answer.status !== 200) {
      throw new Error(`PUT #${i + 1}: ${answer.status} ${answer.body.slice(0, 300)}`)
    }
    const next = (JSON.parse(answer.body) as { version: number }).version
    if (next !== version + 1) throw new Error(`PUT #${i + 1}: version ${next} after ${version}`)
    version = next
    if (i >= options.warmup) {
      putTimes.record(performance.now() - started)
      writes.push({ version, sentAt, answeredAt })
    }
    if ((i + 1) % 100 === 0) process.stderr.write(`${i + 1}/${total} writes\n`)
  }
  if (chaos) outage = await chaos
  const lastVersion = version

  // Every replica holds the last version, or SETTLE_MS have passed.
  const settleDeadline = performance.now() + SETTLE_MS
  for (;;) {
    const held = await Promise.all(replicas.map((r) => heldVersion(r.port)))
    if (held.every((v) => v >= lastVersion) || performance.now() > settleDeadline) break
    await sleep(50)
  }
  const endedAt = Date.now()
  const metrics = await scrapeMetrics(replicas.map((r) => r.port))
  const died = [writer, ...replicas].filter((s) => s.child.done)
  for (const server of died) {
    process.stderr.write(`${server.child.name} exited during the run:\n${server.child.output()}\n`)
  }
  if (died.length > 0) process.exitCode = 1
  // Their log lines are batched (shared/log.ts); an exit flushes them.
  await Promise.all([writer, ...replicas].map((s) => s.child.stop()))

  // ---- analysis ---------------------------------------------------------------------
  const applied = replicas.map((r) => appliedLines(r.logFile))
  const unpublished = countLines(writer.logFile, 'config hint not published')
  const latency = new LatencyRecorder()
  const staleness = new LatencyRecorder()
  let pairs = 0
  let skippedPairs = 0
  let reconciledPairs = 0
  let unreachedPairs = 0
  let worst = { ms: -1, replica: 0, version: 0, how: '' }
  const lost = new Set<number>()
  const skipped = new Set<number>()
  const missedHint = new Set<number>()
  let withoutHint = 0
  for (const write of writes) {
    const hinted = committedAt.get(write.version)
    if (hinted === undefined) withoutHint++
    // Without a hint (Redis down), the PUT's send time: before the commit, so the
    // staleness measured from it is an upper bound.
    const commit = hinted ?? write.sentAt
    applied.forEach((lines, r) => {
      pairs++
      const reached = lines.find((line) => line.version >= write.version)
      const ms = (reached?.at ?? endedAt) - commit
      if (!reached) unreachedPairs++
      else {
        if (hinted !== undefined) latency.record(ms)
        if (reached.version > write.version) {
          skippedPairs++
          skipped.add(write.version)
        }
        if (reached.byReconcile) reconciledPairs++
        if (reached.version > write.version || reached.byReconcile) missedHint.add(write.version)
      }
      staleness.record(ms)
      if (!reached || ms > BOUND_MS) lost.add(write.version)
      if (ms > worst.ms) {
        const how = !reached
          ? 'never reached'
          : `${reached.byReconcile ? 'by a reconcile' : 'by a hint'}${reached.version > write.version ? `, as version ${reached.version}` : ''}`
        worst = { ms, replica: r + 1, version: write.version, how }
      }
    })
  }

  out('')
  const width = 52
  out(
    `${''.padEnd(width)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  ${'max ms'.padStart(8)}  ${'mean ms'.padStart(8)}  samples`,
  )
  const row = (name: string, r: LatencyRecorder, digits: number) =>
    out(
      `${name.padEnd(width)}  ${[r.percentile(50), r.percentile(99), r.percentile(100), r.mean()]
        .map((v) => (Number.isFinite(v) ? v.toFixed(digits) : '-').padStart(8))
        .join('  ')}  ${r.count}`,
    )
  row(`floor: PUBLISH → SUBSCRIBE, ${options.replicas} processes (µs clock)`, floor.latency, 3)
  row(`config: commit → applied, ${options.replicas} replicas (ms clock)`, latency, 1)
  if (options.chaos) row('staleness: commit → a version ≥ it held, all pairs', staleness, 1)
  row('PUT round trip at the writer (commit, publish, 200)', putTimes, 2)
  out('')
  const first = writes[0]?.version ?? 0
  out(
    `versions: ${writes.length} measured (${first}–${lastVersion}) × ${options.replicas} replicas = ${pairs} (replica, version) pairs`,
  )
  out(
    `commit time: the hint's committed_at, received here on ${configChannel(SERVICE)}, for ${writes.length - withoutHint} versions; the PUT's send time (earlier than the commit) for ${withoutHint} whose hint never came`,
  )
  out(
    `pairs: ${pairs - skippedPairs - unreachedPairs} applied as such, ${skippedPairs} skipped (a later version applied first), ${reconciledPairs} reached by a reconcile rather than a hint, ${unreachedPairs} never reached`,
  )
  out(
    `lost: a version some replica did not hold (it or a later one applied) within ${(BOUND_MS / 1000).toFixed(1)} s of its commit (1.1 × CONFIG_RECONCILE_SECONDS + 1 s)${BOUND_MS > SETTLE_MS ? `, or by the end of the run (${(SETTLE_MS / 1000).toFixed(0)} s after the last write at most)` : ''}`,
  )
  out(
    `floor: ${floor.received} of ${floor.expected} messages received; writes: ${behind} started late (the previous PUT took more than ${PACE_MS} ms)`,
  )
  out(
    `writer: ${unpublished} hints not published (logged 'config hint not published'); the bench's own subscriber missed ${withoutHint}`,
  )
  if (outage && first > 0) {
    const at = (ms: number) => `+${((ms - (writes[0]?.sentAt ?? ms)) / 1000).toFixed(2)} s`
    const killedAt = outage.killedAt
    const flowing = Math.min(
      ...writes
        .filter((w) => w.sentAt > killedAt && committedAt.has(w.version))
        .map((w) => committedAt.get(w.version) as number),
    )
    out(
      `outage: Redis SIGKILLed at ${at(outage.killedAt)} after the first measured write, listening again at ${at(outage.restartedAt)}, ${Number.isFinite(flowing) ? `first hint received after it at ${at(flowing)}` : 'no hint received after it before the writes ended'}; the writes ended at ${at(writes.at(-1)?.answeredAt ?? 0)}`,
    )
    out(
      `worst staleness: ${worst.ms} ms, replica ${worst.replica}, version ${worst.version} (${worst.how})`,
    )
  }
  out(
    `product metrics, summed over the replicas: config_propagation_seconds{service="${SERVICE}"} ${metrics.propagationCount} observations, mean ${metrics.propagationCount > 0 ? ((metrics.propagationSum / metrics.propagationCount) * 1000).toFixed(2) : '-'} ms; config_hints_total ${formatCounts(metrics.hints)}; config_reconciles_total ${formatCounts(metrics.reconciles)}`,
  )
  if (latency.count === 0) {
    // No p99 to print: every write fell in the outage (its length against --writes × --pace-ms).
    throw new Error('no version reached the replicas by a hint; raise --writes or lower --outage')
  }
  out('')
  out(`floor_p50_ms ${floor.latency.percentile(50).toFixed(3)}`)
  out(`floor_p99_ms ${floor.latency.percentile(99).toFixed(3)}`)
  out(`p50_ms ${latency.percentile(50).toFixed(1)}`)
  out(`p99_ms ${latency.percentile(99).toFixed(1)}`)
  out(`max_ms ${latency.percentile(100).toFixed(1)}`)
  out(`skipped ${skipped.size}`)
  if (options.chaos) {
    out(`missed_hints ${missedHint.size}`)
    out(`worst_staleness_ms ${worst.ms}`)
  }
  out(`lost ${lost.size}`)
  out(`ratio ${(latency.percentile(99) / floor.latency.percentile(99)).toFixed(2)}`)
})

// ---- the floor ----------------------------------------------------------------------

interface FloorResult {
  latency: LatencyRecorder
  received: number
  expected: number
}

/** `--replicas` bare subscribers; `--writes` PUBLISHes of a hint-shaped payload, paced. */
async function runFloor(redis: BenchRedis, command: Redis, logs: string): Promise<FloorResult> {
  const subscribers = Array.from({ length: options.replicas }, (_, i) => {
    const logFile = join(logs, `floor-subscriber-${i + 1}.log`)
    const child = spawnNode({
      name: `floor subscriber ${i + 1}`,
      args: [`${ROOT}bench/lib/subscriber.ts`],
      env: { REDIS_URL: redis.url, CHANNEL: FLOOR_CHANNEL },
      logFile,
    })
    return { child, logFile }
  })
  await until(
    async () => (await numsub(command, FLOOR_CHANNEL)) >= options.replicas,
    `${options.replicas} floor subscribers`,
    20_000,
    subscribers.map((s) => s.child),
  )
  /** version → when it was published (µs clock). */
  const published = new Map<number, number>()
  const total = options.warmup + options.writes
  const t0 = performance.now() + 50
  for (let i = 0; i < total; i++) {
    await sleepUntil(t0 + i * PACE_MS)
    const payload = encodeHint({ service: SERVICE, version: i + 1, committed_at: Date.now() })
    const at = performance.timeOrigin + performance.now()
    await command.publish(FLOOR_CHANNEL, payload)
    if (i >= options.warmup) published.set(i + 1, at)
  }
  // Every subscriber has the last message, or a second has passed.
  const deadline = performance.now() + 1000
  while (
    performance.now() < deadline &&
    !subscribers.every((s) => s.child.output(200).includes(`"version":${total},`))
  ) {
    await sleep(20)
  }
  await Promise.all(subscribers.map((s) => s.child.stop()))
  const latency = new LatencyRecorder()
  let received = 0
  for (const { logFile } of subscribers) {
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      const space = line.indexOf(' ')
      if (space < 0) continue
      const at = Number(line.slice(0, space))
      const sentAt = published.get(parseHint(line.slice(space + 1))?.version ?? 0)
      if (sentAt === undefined || !Number.isFinite(at)) continue
      latency.record(at - sentAt)
      received++
    }
  }
  return { latency, received, expected: published.size * options.replicas }
}

// ---- processes ----------------------------------------------------------------------

interface Entry {
  path: string
  description: string
}

/** What the replicas (projects) and the writer (config) run: the bundles, or the source. */
async function functionEntries(): Promise<{ projects: Entry; config: Entry }> {
  if (options.source) {
    const entry = (name: string) => ({
      path: `${ROOT}functions/${name}/main.ts`,
      description: `functions/${name}/main.ts (source)`,
    })
    return { projects: entry('projects'), config: entry('config') }
  }
  // One `npm run build` makes every function's bundle.
  const projects = await benchBundle('projects', options.build)
  const path = bundlePath('config')
  if (!existsSync(path)) throw new Error(`${path} is missing: run without --build off`)
  const built = options.build ? 'built now' : 'not rebuilt'
  return {
    projects,
    config: { path, description: `${path.slice(ROOT.length)} (bundle, ${built})` },
  }
}

/** The `projects` version a replica's /readyz lists (0 when it does not answer). */
async function heldVersion(port: number): Promise<number> {
  try {
    const answer = await getOnce(port, '/readyz')
    const body = JSON.parse(answer.body) as { configs?: Record<string, number> }
    return body.configs?.[SERVICE] ?? 0
  } catch {
    return 0
  }
}

/** A replica's `config applied` lines for the service, in order. */
function appliedLines(logFile: string): Applied[] {
  const lines: Applied[] = []
  let previous: Applied | undefined
  for (const text of readFileSync(logFile, 'utf8').split('\n')) {
    if (!text.startsWith('{')) continue
    let entry: { msg?: string; time?: string; service?: string; version?: number }
    let changed: unknown
    try {
      entry = JSON.parse(text)
      changed = (entry as { changed?: unknown }).changed
    } catch {
      continue
    }
    const last = previous
    previous = undefined
    if (entry.msg === 'config applied' && entry.service === SERVICE) {
      const at = Date.parse(entry.time ?? '')
      if (!Number.isFinite(at) || typeof entry.version !== 'number') continue
      previous = { version: entry.version, at, byReconcile: false }
      lines.push(previous)
    } else if (
      last &&
      entry.msg === 'config reconciled: newer versions applied' &&
      Array.isArray(changed) &&
      changed.includes(SERVICE)
    ) {
      last.byReconcile = true
    }
  }
  return lines
}

/** Lines of a log whose message starts with `msg`. */
function countLines(logFile: string, msg: string): number {
  let n = 0
  for (const text of readFileSync(logFile, 'utf8').split('\n')) {
    if (text.includes(`"msg":${JSON.stringify(msg).slice(0, -1)}`)) n++
  }
  return n
}

interface Metrics {
  propagationCount: number
  propagationSum: number
  hints: Map<string, number>
  reconciles: Map<string, number>
}

/** The hot-reload metrics of every replica, summed. */
async function scrapeMetrics(ports: number[]): Promise<Metrics> {
  const metrics: Metrics = {
    propagationCount: 0,
    propagationSum: 0,
    hints: new Map(),
    reconciles: new Map(),
  }
  const add = (map: Map<string, number>, key: string, n: number) =>
    map.set(key, (map.get(key) ?? 0) + n)
  for (const port of ports) {
    const answer = await getOnce(port, '/metrics').catch(() => undefined)
    for (const line of answer?.body.split('\n') ?? []) {
      const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
      if (!match) continue
      const [, name, labels = '', raw] = match
      const value = Number(raw)
      const label = (key: string) => new RegExp(`${key}="([^"]*)"`).exec(labels)?.[1] ?? ''
      if (name === 'config_propagation_seconds_count' && label('service') === SERVICE)
        metrics.propagationCount += value
      else if (name === 'config_propagation_seconds_sum' && label('service') === SERVICE)
        metrics.propagationSum += value
      else if (name === 'config_hints_total') add(metrics.hints, label('outcome'), value)
      else if (name === 'config_reconciles_total') add(metrics.reconciles, label('outcome'), value)
    }
  }
  return metrics
}

function formatCounts(counts: Map<string, number>): string {
  if (counts.size === 0) return 'none'
  return [...counts].map(([key, n]) => `${key} ${n}`).join(', ')
}

// ---- helpers ------------------------------------------------------------------------

async function numsub(redis: Redis, channel: string): Promise<number> {
  const [, count] = (await redis.pubsub('NUMSUB', channel)) as [string, number]
  return Number(count)
}

/** Polls `check` every 50 ms until it is true; fails after `timeoutMs` or when a child exits. */
async function until(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
  children: Child[],
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    const dead = children.find((child) => child.done)
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}:\n${dead.output()}`)
    if (performance.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`)
    await sleep(50)
  }
}

async function sleepUntil(target: number): Promise<void> {
  const wait = target - performance.now()
  if (wait > 0) await sleep(wait)
}

interface Answer {
  status: number
  body: string
}

/** One request to the writer on 127.0.0.1, on the keep-alive agent. */
function call(
  agent: http.Agent,
  port: number,
  method: string,
  path: string,
  authorization: string,
  { headers = {}, body }: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent,
        headers: {
          authorization,
          ...headers,
          ...(payload === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(payload),
              }),
        },
      },
      (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (text += chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }))
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    request.end(payload)
  })
}

function out(line: string): void {
  process.stdout.write(`${line}\n`)
}
