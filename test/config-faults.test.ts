import { randomInt, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import postgres, { type Sql } from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAuth, type TestAuth, useJwksServer } from '#test/harness/auth.ts'
import { createOrg, createProject, createUser } from '#test/harness/fixtures.ts'
import {
  findOnPath,
  findPostgresBinDir,
  freePort,
  type LocalPostgres,
  RestartableRedis,
  stablePort,
  startLocalPostgres,
} from '#test/harness/local-servers.ts'
import { roleUrl } from '#test/harness/names.ts'
import {
  type RunningProcess,
  startProcess,
  verifyingFunctionEnv,
  waitReady,
} from '#test/harness/process.ts'
import { provisionDatabase } from '#test/harness/provision.ts'

/**
 * The config contract of DESIGN.md §4 ("nothing lost"), under faults, with real
 * processes: replicas of the projects function and one config function, on a PostgreSQL
 * cluster and a redis-server of this file's own (the run's shared servers are used by
 * other files in parallel: nothing here may kill or restart them).
 *
 * 1. Eight replicas while 1,000 writes go through PUT /v1/configs/projects, Redis
 *    SIGKILLed a third of the way and started again on the same port, PostgreSQL
 *    restarted around two thirds: every answered version (the last one included) reaches
 *    every replica within the reconcile interval (SQL outage excepted), a replica's
 *    versions only go up, each one is a row of config_history, and no replica ever
 *    answers anything but what the API documents (503 UNAVAILABLE only around the
 *    PostgreSQL restart), leaves a request unanswered or refuses a connection.
 * 2. Replicas started while Redis is down: ready from SQL, then a change by their
 *    periodic reconcile; after Redis returns, by the reconcile on resubscribing, then by
 *    a hint, far faster than the reconcile period.
 * 3. Data written straight into service_configs that fails its schema: refused, the last
 *    good version kept (and enforced), until a valid write replaces it.
 */

const DATABASE = 'tenantry_faults'
/** The replicas' reconcile period in the first and third parts. */
const RECONCILE_SECONDS = 2
/** What a loaded 2-core machine may add to an interval before a replica is late. */
const MARGIN_MS = 3_000
/** A version is late past the period, its +10 % jitter and the margin. */
const WITHIN_RECONCILE_MS = RECONCILE_SECONDS * 1_100 + MARGIN_MS
/** After PostgreSQL is back, how long replicas may still answer 503 (pools reconnecting). */
const AFTER_RESTART_MS = 5_000
const CURSOR_SECRET = 'f'.repeat(40)

let auth: TestAuth
const jwksUrl = useJwksServer(() => auth.keys)
let pg: LocalPostgres | undefined
let redis: RestartableRedis | undefined
let admin: Sql | undefined
let appUrl: string
let configFn: FunctionProcess
/** Machine tokens for the writes, round robin: each client is rate limited on its own. */
let writerTokens: string[]
/** User tokens for the replicas' traffic (users need no row: an unknown project is 404). */
let userTokens: string[]
const processes: RunningProcess[] = []

beforeAll(async () => {
  auth = await createTestAuth()
  const binDir = findPostgresBinDir()
  const redisBinary = findOnPath('redis-server')
  if (!binDir || !redisBinary) {
    throw new Error(
      'config-faults needs local PostgreSQL binaries (initdb, pg_ctl) and redis-server',
    )
  }
  // Ports below the ephemeral range: nothing takes them while a server is down.
  pg = await startLocalPostgres(binDir, await stablePort())
  redis = new RestartableRedis(redisBinary, await stablePort())
  await redis.start()
  await provisionDatabase(pg.url, DATABASE)
  admin = postgres(roleUrl(pg.url, null, DATABASE), { max: 2, onnotice: () => {} })
  appUrl = roleUrl(pg.url, 'tenantry_app', DATABASE)
  writerTokens = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      auth.clientBearer(`faults-ops-${i}`, ['config:read', 'config:write']),
    ),
  )
  userTokens = await Promise.all(
    Array.from({ length: 32 }, (_, i) => auth.bearer({ id: randomUUID(), handle: `faults-${i}` })),
  )
  configFn = await startFunctionProcess('config', 'functions/config/main.ts')
}, 120_000)

afterAll(async () => {
  await Promise.all(processes.map(kill))
  await admin?.end({ timeout: 1 })
  await redis?.kill('SIGKILL')
  await pg?.stop()
}, 60_000)

// Function processes -----------------------------------------------------------------

interface LogLine {
  msg?: string
  level?: string
  time?: string
  service?: string
  version?: number
  previous_version?: number
  reason?: string
  changed?: string[]
  [key: string]: unknown
}

interface FunctionProcess {
  name: string
  port: number
  proc: RunningProcess
  /** Its JSON log lines from stdout, but the per-request ones. */
  logs: LogLine[]
}

async function startFunctionProcess(
  name: string,
  script: string,
  extra: Record<string, string> = {},
): Promise<FunctionProcess> {
  const port = await freePort()
  const proc = startProcess(
    script,
    verifyingFunctionEnv(port, appUrl, jwksUrl(), {
      CURSOR_SECRET,
      LOG_LEVEL: 'info',
      REDIS_URL: (redis as RestartableRedis).url,
      ...extra,
    }),
  )
  processes.push(proc)
  const logs = collectLogs(proc)
  await waitReady(port, proc, 60_000)
  return { name, port, proc, logs }
}

/** stdout alone, line by line (stderr is merged into output() and could split a line). */
function collectLogs(proc: RunningProcess): LogLine[] {
  const lines: LogLine[] = []
  let partial = ''
  proc.child.stdout?.setEncoding('utf8')
  proc.child.stdout?.on('data', (chunk: string) => {
    partial += chunk
    for (let end = partial.indexOf('\n'); end >= 0; end = partial.indexOf('\n')) {
      const line = partial.slice(0, end)
      partial = partial.slice(end + 1)
      if (!line.startsWith('{')) continue
      try {
        const parsed = JSON.parse(line) as LogLine
        if (parsed.msg !== 'request') lines.push(parsed)
      } catch {
        // not a log line
      }
    }
  })
  return lines
}

async function kill(proc: RunningProcess): Promise<void> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL')
  await proc.exited
}

const alive = (fn: FunctionProcess) =>
  fn.proc.child.exitCode === null && fn.proc.child.signalCode === null

const applied = (fn: FunctionProcess) =>
  fn.logs.filter((line) => line.msg === 'config applied' && line.service === 'projects')

const refused = (fn: FunctionProcess) =>
  fn.logs.filter((line) => line.msg?.startsWith('config refused') && line.service === 'projects')

const reconciledBy = (fn: FunctionProcess, reason: string) =>
  fn.logs.some(
    (line) =>
      line.msg === 'config reconciled: newer versions applied' &&
      line.reason === reason &&
      line.changed?.includes('projects'),
  )

/** How many times the process's rate limiter (on its command connection) came back to Redis. */
const backOnRedis = (fn: FunctionProcess) =>
  fn.logs.filter((line) => line.msg === 'rate limits back on Redis').length

/** The last lines of a process's output, for failure messages. */
const tail = (fn: FunctionProcess) => fn.proc.output().slice(-3_000)

/** The version of `projects` the replica's /readyz lists (undefined if it does not answer). */
async function heldVersion(fn: FunctionProcess): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${fn.port}/readyz`, {
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined)
  if (res?.status !== 200) return undefined
  const body = (await res.json()) as { configs?: Record<string, number> }
  return body.configs?.projects
}

/** Polls /readyz until the replica holds `version`; the ms it took, or a failure at `deadline`. */
async function waitForVersion(fn: FunctionProcess, version: number, deadline: number) {
  const started = Date.now()
  let held: number | undefined
  for (;;) {
    held = await heldVersion(fn)
    if (held === version) return Date.now() - started
    if (Date.now() > deadline) break
    await sleep(20)
  }
  throw new Error(
    `${fn.name} holds projects version ${held}, not ${version}, ${Date.now() - started} ms on\n${tail(fn)}`,
  )
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await sleep(25)
  }
}

/** One series of a replica's /metrics (`name{labels}`), 0 when absent. */
async function metric(fn: FunctionProcess, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${fn.port}/metrics`)).text()
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1))
  }
  return 0
}

// Writes through the config function --------------------------------------------------

interface PutAnswer {
  status: number
  /** The version of a 200, or of the ETag a 412 sends back. */
  version?: number
  code?: string
  text: string
}

async function putProjects(token: string, ifMatch: number, data: unknown): Promise<PutAnswer> {
  const res = await fetch(`http://127.0.0.1:${configFn.port}/v1/configs/projects`, {
    method: 'PUT',
    headers: {
      authorization: token,
      'content-type': 'application/json',
      'if-match': `"${ifMatch}"`,
    },
    body: JSON.stringify({ data }),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await res.text()
  const etag = /^"(\d+)"$/.exec(res.headers.get('etag') ?? '')
  const code = res.status >= 400 ? problemCode(text) : undefined
  return { status: res.status, version: etag ? Number(etag[1]) : undefined, code, text }
}

/** The `code` of a problem+json body; anything else is kept whole, to be seen in a failure. */
function problemCode(text: string): string {
  try {
    return (JSON.parse(text) as { code?: string }).code ?? text
  } catch {
    return text
  }
}

async function currentVersion(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${configFn.port}/v1/configs/projects`, {
    headers: { authorization: writerTokens[0] as string },
  })
  const text = await res.text()
  expect(res.status, text).toBe(200)
  return (JSON.parse(text) as { version: number }).version
}

/** One write as an operator makes it: GET for the ETag, PUT with If-Match; the new version. */
async function writeProjects(data: unknown): Promise<number> {
  const answer = await putProjects(writerTokens[1] as string, await currentVersion(), data)
  expect(answer.status, answer.text).toBe(200)
  return answer.version as number
}

// 1. Eight replicas, 1,000 writes, Redis and PostgreSQL failing ------------------------

interface Sample {
  replica: number
  what: 'project' | 'healthz' | 'readyz'
  start: number
  end: number
  /** 0 when no HTTP answer came (see error). */
  status: number
  code?: string
  error?: string
  /** /readyz's projects version. */
  version?: number
}

/** One request to a replica, recorded whatever happens. */
async function probe(replica: number, fn: FunctionProcess, what: Sample['what'], token: string) {
  const start = Date.now()
  const path = what === 'project' ? `/v1/projects/${randomUUID()}` : `/${what}`
  try {
    const res = await fetch(`http://127.0.0.1:${fn.port}${path}`, {
      headers: what === 'project' ? { authorization: token } : {},
      // Far longer than any answer may take (the pools wait at most 1 s between
      // reconnection attempts, shared/backoff.ts): slow is not lost.
      signal: AbortSignal.timeout(30_000),
    })
    const text = await res.text()
    const sample: Sample = { replica, what, start, end: Date.now(), status: res.status }
    if (res.status >= 400) sample.code = problemCode(text)
    if (what === 'readyz' && res.status === 200) {
      sample.version = (JSON.parse(text) as { configs: Record<string, number> }).configs.projects
    }
    return sample
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause
    return {
      replica,
      what,
      start,
      end: Date.now(),
      status: 0,
      error: cause?.code ?? (error as Error).name ?? String(error),
    } satisfies Sample
  }
}

describe('eight replicas, 1,000 writes, Redis SIGKILLed and restarted, PostgreSQL restarted', () => {
  const REPLICAS = 8
  const WRITES = 1_000
  /** One write every PACE_MS at most: ~45 s of writes, plus what the outages cost. */
  const PACE_MS = 45
  /** Writers in flight at once; they race for the same If-Match and retry on 412. */
  const WRITERS = 3

  it('every replica ends on the last version, only went up, applied only versions in history, and never failed but for 503s around the restart', async () => {
    const replicas = await Promise.all(
      Array.from({ length: REPLICAS }, (_, i) =>
        startFunctionProcess(`projects-${i}`, 'functions/projects/main.ts', {
          CONFIG_RECONCILE_SECONDS: String(RECONCILE_SECONDS),
        }),
      ),
    )
    const startVersion = await currentVersion()
    for (const fn of replicas) expect(await heldVersion(fn), fn.name).toBe(startVersion)

    // Traffic to every replica throughout, one request at a time per replica.
    const samples: Sample[] = []
    let trafficOn = true
    const kinds = ['project', 'healthz', 'readyz'] as const
    const traffic = Promise.all(
      replicas.map(async (fn, replica) => {
        for (let i = 0; trafficOn; i++) {
          const token = userTokens[randomInt(userTokens.length)] as string
          samples.push(await probe(replica, fn, kinds[i % kinds.length] as Sample['what'], token))
          await sleep(50)
        }
      }),
    )

    // The faults, set off by the writes' progress.
    const redisOutage = { killedAt: 0, backAt: 0 }
    const pgOutage = { from: 0, to: 0 }
    let redisFault: Promise<void> | undefined
    let pgFault: Promise<void> | undefined
    let hintsBeforePgRestart: number[] = []
    const ownRedis = redis as RestartableRedis
    const ownPg = pg as LocalPostgres
    const onCommitted = (committed: number) => {
      if (committed === Math.round(WRITES / 3)) {
        redisFault = (async () => {
          await ownRedis.kill('SIGKILL')
          redisOutage.killedAt = Date.now()
          await sleep(2_000)
          await ownRedis.start()
          redisOutage.backAt = Date.now()
        })()
      }
      if (committed === Math.round((WRITES * 2) / 3)) {
        pgFault = (async () => {
          await redisFault
          // Hints counted so far: the ones after this must come over the restarted Redis.
          hintsBeforePgRestart = await Promise.all(
            replicas.map((fn) => metric(fn, 'config_hints_total{outcome="newer"}')),
          )
          pgOutage.from = Date.now()
          await ownPg.restart()
          pgOutage.to = Date.now()
        })()
      }
    }

    // The writes: exactly WRITES answered 200, each retried until it is.
    const returned: number[] = []
    /** When each answered version was known committed (its 200 came back). */
    const committedAt = new Map<number, number>()
    const answers = new Map<string, number>()
    const unexpected: string[] = []
    const writeUnavailable: { start: number; end: number }[] = []
    let latest = startVersion
    let reserved = 0
    let committed = 0
    let attempts = 0
    let lastWrite = { sentAt: 0, answeredAt: 0, version: 0 }
    let stopWrites = false
    const writesStarted = Date.now()
    const writer = async () => {
      while (reserved < WRITES && !stopWrites) {
        const slot = reserved++
        const wait = writesStarted + slot * PACE_MS - Date.now()
        if (wait > 0) await sleep(wait)
        while (!stopWrites) {
          if (unexpected.length > 20)
            throw new Error(`unexpected answers:\n${unexpected.join('\n')}`)
          attempts++
          const token = writerTokens[attempts % writerTokens.length] as string
          const sentAt = Date.now()
          const answer = await putProjects(token, latest, {
            max_projects_per_org: 1_000 + attempts,
          }).catch((error: unknown) => ({ status: 0, text: String(error) }) as PutAnswer)
          const answeredAt = Date.now()
          const key = `${answer.status} ${answer.code ?? ''}`.trim()
          answers.set(key, (answers.get(key) ?? 0) + 1)
          if (answer.status === 200 && answer.version !== undefined) {
            returned.push(answer.version)
            committedAt.set(answer.version, answeredAt)
            latest = Math.max(latest, answer.version)
            committed++
            if (answer.version >= lastWrite.version) {
              lastWrite = { sentAt, answeredAt, version: answer.version }
            }
            onCommitted(committed)
            break
          }
          if (answer.status === 412 && answer.version !== undefined) {
            latest = Math.max(latest, answer.version)
            continue
          }
          if (answer.status === 503 && answer.code === 'UNAVAILABLE') {
            writeUnavailable.push({ start: sentAt, end: answeredAt })
          } else {
            unexpected.push(`${new Date(sentAt).toISOString()} ${answer.status} ${answer.text}`)
          }
          await sleep(100)
        }
      }
    }

    try {
      await Promise.all(Array.from({ length: WRITERS }, writer))
      await redisFault
      await pgFault
      const writesTook = Date.now() - writesStarted

      // The last version, from SQL; it is the newest any write was answered with.
      const [row] = await (admin as Sql)<{ version: number }[]>`
        select version from service_configs where service = 'projects'`
      const finalVersion = row?.version as number
      expect(finalVersion).toBe(Math.max(...returned))
      expect(lastWrite.version).toBe(finalVersion)

      // Every replica holds it within the reconcile interval (plus the margin).
      const arrival = await Promise.all(
        replicas.map((fn) =>
          waitForVersion(fn, finalVersion, lastWrite.answeredAt + WITHIN_RECONCILE_MS).then(
            () => Date.now() - lastWrite.answeredAt,
          ),
        ),
      )
      // Log lines go out in batches (a quarter of a second): wait for each one's last.
      for (const fn of replicas) {
        await until(
          `${fn.name} logs config applied for version ${finalVersion}`,
          () => applied(fn).some((line) => line.version === finalVersion),
          5_000,
        )
      }
      trafficOn = false
      await traffic

      // The writes: no other answer than 200, 412, and 503 while PostgreSQL restarted.
      expect(unexpected, 'answers of the config function other than 200/412/503').toEqual([])
      expect(returned).toHaveLength(WRITES)
      expect(new Set(returned).size, 'two writes answered with the same version').toBe(WRITES)
      const inPgWindow = (s: { start: number; end: number }) =>
        s.end >= pgOutage.from && s.start <= pgOutage.to + AFTER_RESTART_MS
      expect(
        writeUnavailable.filter((s) => !inPgWindow(s)),
        'write 503s outside the PostgreSQL restart',
      ).toEqual([])

      // config_history: versions 1…final without a gap, and every answered version in it.
      const history = (
        await (admin as Sql)<{ version: number }[]>`
          select version from config_history where service = 'projects' order by version`
      ).map((r) => r.version)
      expect(history).toEqual(Array.from({ length: finalVersion }, (_, i) => i + 1))
      const inHistory = new Set(history)

      const faults = `Redis down ${new Date(redisOutage.killedAt).toISOString()} +${redisOutage.backAt - redisOutage.killedAt} ms, PostgreSQL restarted ${new Date(pgOutage.from).toISOString()} +${pgOutage.to - pgOutage.from} ms`
      // Each replica: alive, its applied versions strictly increasing and chained, each in
      // config_history, ending on the last one; nothing refused; no unhandled error.
      const report = []
      for (const [i, fn] of replicas.entries()) {
        expect(alive(fn), `${fn.name} exited\n${tail(fn)}`).toBe(true)
        const lines = applied(fn)
        const versions = lines.map((line) => line.version as number)
        expect(versions[0], `${fn.name} first applied`).toBe(startVersion)
        for (let j = 1; j < lines.length; j++) {
          const line = lines[j] as LogLine
          expect(
            line.version,
            `${fn.name} went from ${versions[j - 1]} to ${line.version}`,
          ).toBeGreaterThan(versions[j - 1] as number)
          expect(line.previous_version, `${fn.name} line ${j}`).toBe(versions[j - 1])
        }
        expect(
          versions.filter((v) => !inHistory.has(v)),
          `${fn.name}: not in history`,
        ).toEqual([])
        expect(versions.at(-1), fn.name).toBe(finalVersion)
        expect(refused(fn), fn.name).toEqual([])
        expect(
          fn.logs.filter((line) => line.level === 'fatal' || line.msg === 'unhandled error'),
          fn.name,
        ).toEqual([])
        // The subscriber came back on the restarted Redis: hints flowed after it did.
        expect(await metric(fn, 'config_bus_connected'), fn.name).toBe(1)
        expect(
          await metric(fn, 'config_hints_total{outcome="newer"}'),
          `${fn.name}: no hint fetched since Redis came back`,
        ).toBeGreaterThan(hintsBeforePgRestart[i] as number)
        // Every answered version reached this replica (DESIGN.md §4: within the reconcile
        // interval): the first version at or above it was applied by then. Versions
        // committed while PostgreSQL restarted get until it was back, plus the pools' time.
        const appliedAt = lines.map((line) => ({
          version: line.version as number,
          at: Date.parse(line.time as string),
        }))
        let worst = { version: 0, lateMs: Number.NEGATIVE_INFINITY }
        const late: string[] = []
        for (const [version, at] of committedAt) {
          const first = appliedAt.find((a) => a.version >= version)
          const lateMs = first ? first.at - at : Number.POSITIVE_INFINITY
          if (lateMs > worst.lateMs) worst = { version, lateMs }
          const aroundRestart = at <= pgOutage.to && at + WITHIN_RECONCILE_MS >= pgOutage.from
          const deadline = aroundRestart
            ? pgOutage.to + AFTER_RESTART_MS + WITHIN_RECONCILE_MS
            : at + WITHIN_RECONCILE_MS
          if (!first || first.at > deadline) late.push(`v${version} after ${lateMs} ms`)
        }
        expect(late.slice(0, 20), `${fn.name}: ${late.length} versions late; ${faults}`).toEqual([])
        const last = lines.at(-1) as LogLine
        report.push({
          replica: fn.name,
          versions_applied: versions.length,
          slowest_version_ms_after_its_200: worst.lateMs,
          last_version_seen_on_readyz_ms_after_put_answer: arrival[i],
          last_version_applied_ms_after_put_sent:
            Date.parse(last.time as string) - lastWrite.sentAt,
        })
      }

      // The replicas' answers: every request answered; 404 for the unknown project,
      // 503 UNAVAILABLE only around the restart; /healthz and /readyz 200 throughout, and
      // /readyz's version never going down.
      const failed = samples.filter((s) => s.status === 0)
      const near = (s: Sample) =>
        (replicas[s.replica] as FunctionProcess).logs
          .filter((line) => Math.abs(Date.parse(line.time as string) - s.start) < 2_000)
          .map(
            (line) =>
              `${line.time} ${line.msg} ${(line.err as { message?: string })?.message ?? ''}`,
          )
      expect(
        failed
          .slice(0, 5)
          .map((s) => ({ ...s, start: new Date(s.start).toISOString(), near: near(s) })),
        `${failed.length} requests got no answer; ${faults}`,
      ).toEqual([])
      const wrong = samples.filter((s) =>
        s.what === 'project'
          ? !(s.status === 404 || (s.status === 503 && s.code === 'UNAVAILABLE' && inPgWindow(s)))
          : s.status !== 200,
      )
      expect(wrong.slice(0, 20), `${wrong.length} answers outside the contract; ${faults}`).toEqual(
        [],
      )
      for (const [i] of replicas.entries()) {
        const seen = samples
          .filter((s) => s.replica === i && s.what === 'readyz')
          .map((s) => s.version as number)
        for (let j = 1; j < seen.length; j++) {
          expect(seen[j], `replica ${i} /readyz went back`).toBeGreaterThanOrEqual(
            seen[j - 1] as number,
          )
        }
      }
      const during = (from: number, to: number) =>
        samples.filter((s) => s.what === 'project' && s.start >= from && s.end <= to)
      // The traffic did cover both outages (else the checks above prove little).
      expect(during(redisOutage.killedAt, redisOutage.backAt).length).toBeGreaterThan(REPLICAS)
      expect(samples.filter((s) => s.what === 'project' && inPgWindow(s)).length).toBeGreaterThan(
        REPLICAS,
      )

      console.log(
        JSON.stringify(
          {
            writes: WRITES,
            attempts,
            answers: Object.fromEntries(answers),
            start_version: startVersion,
            final_version: finalVersion,
            writes_took_ms: writesTook,
            redis_down_ms: redisOutage.backAt - redisOutage.killedAt,
            postgres_restart_ms: pgOutage.to - pgOutage.from,
            replica_requests: samples.length,
            replica_503s: samples.filter((s) => s.status === 503).length,
            slowest_replica_request_ms: Math.max(...samples.map((s) => s.end - s.start)),
            replicas: report,
          },
          null,
          2,
        ),
      )
    } finally {
      stopWrites = true
      trafficOn = false
      await traffic
      await Promise.allSettled([redisFault, pgFault])
      await Promise.all(replicas.map((fn) => kill(fn.proc)))
    }
  }, 240_000)
})

// 2. Replicas started while Redis is down --------------------------------------------

describe('replicas started while Redis is down', () => {
  /**
   * Two replicas, two periods: `short` (2 s) shows a change arriving by the periodic
   * reconcile while no hint can; `long` (30 s, so its first periodic reconcile is 27 s
   * after it started at the earliest) shows what Redis coming back brings: a reconcile
   * on resubscribing, then hints, far faster than its period.
   */
  it('become ready from SQL, catch up by reconcile, and after Redis returns by hint', async () => {
    const ownRedis = redis as RestartableRedis
    await ownRedis.kill('SIGKILL')
    const started: FunctionProcess[] = []
    try {
      const v0 = await writeProjects({ max_projects_per_org: 200 })
      const [short, long] = await Promise.all([
        startFunctionProcess('short', 'functions/projects/main.ts', {
          CONFIG_RECONCILE_SECONDS: String(RECONCILE_SECONDS),
        }),
        startFunctionProcess('long', 'functions/projects/main.ts', {
          CONFIG_RECONCILE_SECONDS: '30',
        }),
      ])
      started.push(short, long)
      const longReadyAt = Date.now()
      // Ready from SQL alone, on the current version, with no hint connection.
      expect(await heldVersion(short), tail(short)).toBe(v0)
      expect(await heldVersion(long), tail(long)).toBe(v0)
      expect(await metric(short, 'config_bus_connected')).toBe(0)
      expect(await metric(long, 'config_bus_connected')).toBe(0)

      // A change while Redis is down: its hint is lost; the periodic reconcile brings it.
      const v1 = await writeProjects({ max_projects_per_org: 201 })
      const byReconcileMs = await waitForVersion(short, v1, Date.now() + WITHIN_RECONCILE_MS)
      await until('short logs its periodic reconcile', () => reconciledBy(short, 'period'), 2_000)
      expect(await metric(short, 'config_propagation_seconds_count{service="projects"}')).toBe(0)
      // The control: `long` has no hint and no period yet, so it is still on v0.
      if (Date.now() - longReadyAt < 26_000) expect(await heldVersion(long)).toBe(v0)

      // Redis back on its port: both resubscribe, and `long` reconciles what it missed.
      const configBackBefore = backOnRedis(configFn)
      await ownRedis.start()
      const backAt = Date.now()
      for (const fn of [short, long]) {
        await until(
          `${fn.name} subscribed again`,
          async () => (await metric(fn, 'config_bus_connected')) === 1,
          15_000,
        )
      }
      const resubscribedMs = Date.now() - backAt
      await waitForVersion(long, v1, Date.now() + 3_000)
      await until(
        'long logs the reconcile on resubscribing',
        () => reconciledBy(long, 'subscribed'),
        2_000,
      )

      // The config function publishes on its command connection, which reconnects on its
      // own schedule (ioredis' default, up to 2 s apart): until it is back, a write's hint
      // is lost. Its rate limiter shares that connection and logs when it is back.
      await until(
        'the config function is back on Redis',
        async () => {
          await currentVersion()
          return backOnRedis(configFn) > configBackBefore
        },
        15_000,
      )

      // Then a change comes by hint, in far less than `long`'s period.
      const hintsBefore = await metric(long, 'config_propagation_seconds_count{service="projects"}')
      const v2 = await writeProjects({ max_projects_per_org: 202 })
      const byHintMs = await waitForVersion(long, v2, Date.now() + 2_000)
      expect(
        await metric(long, 'config_propagation_seconds_count{service="projects"}'),
        'a hint brought it',
      ).toBeGreaterThanOrEqual(hintsBefore + 1)
      await waitForVersion(short, v2, Date.now() + 2_000)
      for (const fn of [short, long]) {
        // Log lines go out in batches: wait for the last one, then check them all.
        await until(`${fn.name} logs v2`, () => applied(fn).at(-1)?.version === v2, 2_000)
        expect(
          applied(fn).map((line) => line.version),
          fn.name,
        ).toEqual([v0, v1, v2])
      }
      console.log(
        JSON.stringify({
          by_reconcile_ms: byReconcileMs,
          resubscribed_ms_after_redis_back: resubscribedMs,
          by_hint_ms: byHintMs,
        }),
      )
    } finally {
      if (!ownRedis.running) await ownRedis.start()
      await Promise.all(started.map((fn) => kill(fn.proc)))
    }
  }, 120_000)
})

// 3. Invalid data written past the API -----------------------------------------------

describe('invalid data written straight into service_configs', () => {
  it('is never applied: refused and logged, the last good version kept and enforced, until a valid write', async () => {
    const db = admin as Sql
    const fn = await startFunctionProcess('guarded', 'functions/projects/main.ts', {
      CONFIG_RECONCILE_SECONDS: String(RECONCILE_SECONDS),
    })
    try {
      const good = await writeProjects({ max_projects_per_org: 2 })
      await waitForVersion(fn, good, Date.now() + WITHIN_RECONCILE_MS)
      const owner = await createUser(db)
      const org = await createOrg(db, owner)
      await createProject(db, org)
      await createProject(db, org)
      const token = await auth.bearer(owner)
      const create = async (name: string) => {
        const res = await fetch(`http://127.0.0.1:${fn.port}/v1/orgs/${org.id}/projects`, {
          method: 'POST',
          headers: { authorization: token, 'content-type': 'application/json' },
          body: JSON.stringify({ name }),
        })
        const text = await res.text()
        return {
          status: res.status,
          body: JSON.parse(text) as { code?: string; detail?: string },
          text,
        }
      }
      const before = await create('Third')
      expect([before.status, before.body.code], before.text).toEqual([409, 'PROJECT_LIMIT_REACHED'])

      // Past the API, as the administrator; and a hint for it, so the replica reads it at once.
      const [bad] = await db<{ version: number }[]>`
        update service_configs
           set version = version + 1, data = '{"max_projects_per_org": "not a number"}'
         where service = 'projects'
        returning version`
      const badVersion = bad?.version as number
      const publisher = new Redis((redis as RestartableRedis).url, { maxRetriesPerRequest: 1 })
      try {
        await publisher.publish(
          'config:projects',
          JSON.stringify({ service: 'projects', version: badVersion, committed_at: Date.now() }),
        )
      } finally {
        publisher.disconnect()
      }
      await until(
        'the replica refuses the bad version',
        () => refused(fn).some((line) => line.version === badVersion),
        WITHIN_RECONCILE_MS,
      )
      // And again at a periodic reconcile: it does not give in.
      const refusedOnce = refused(fn).length
      await until(
        'the replica refuses it again at its next reconcile',
        () => refused(fn).length > refusedOnce,
        WITHIN_RECONCILE_MS,
      )
      expect(await heldVersion(fn)).toBe(good)
      expect(await metric(fn, 'config_refused_total{service="projects"}')).toBeGreaterThanOrEqual(2)
      expect(applied(fn).filter((line) => line.version === badVersion)).toEqual([])
      const during = await create('Third')
      expect([during.status, during.body.code, during.body.detail], during.text).toEqual([
        409,
        'PROJECT_LIMIT_REACHED',
        'This org may have 2 projects.',
      ])
      expect(alive(fn), tail(fn)).toBe(true)

      // A valid write replaces it, and is applied.
      const fixed = await writeProjects({ max_projects_per_org: 3 })
      expect(fixed).toBe(badVersion + 1)
      await waitForVersion(fn, fixed, Date.now() + WITHIN_RECONCILE_MS)
      await until('the fix is logged', () => applied(fn).at(-1)?.version === fixed, 2_000)
      expect(applied(fn).at(-1)?.previous_version, 'applied over the last good one').toBe(good)
      const third = await create('Third')
      expect(third.status, third.text).toBe(201)
      const fourth = await create('Fourth')
      expect([fourth.status, fourth.body.detail], fourth.text).toEqual([
        409,
        'This org may have 3 projects.',
      ])
    } finally {
      await kill(fn.proc)
    }
  }, 90_000)
})
