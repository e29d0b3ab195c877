import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { accessSync, chownSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '#platform/embedded/free-port.ts'

export { freePort }

/**
 * Local PostgreSQL and Redis from the machine's binaries, for when neither a URL nor
 * Docker is available. Each lives in its own temporary folder and port and is removed
 * at the end of the run. PostgreSQL refuses to run as root, so as root the cluster runs
 * as the `postgres` account (TEST_PG_OS_USER overrides it).
 */

const run = promisify(execFile)

export interface LocalServer {
  url: string
  stop(): Promise<void>
}

export function findPostgresBinDir(): string | undefined {
  const fromPath = findOnPath('pg_ctl')
  const candidates = [
    ...(fromPath ? [fromPath.replace(/\/pg_ctl$/, '')] : []),
    ...listPostgresLibDirs(),
  ]
  return candidates.find(
    (dir) => isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'pg_ctl')),
  )
}

export function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && isExecutable(join(dir, binary))) return join(dir, binary)
  }
  return undefined
}

/** Runs argv as the unprivileged account when we are root, as ourselves otherwise. */
export function asServiceUser(argv: string[]): string[] {
  if (process.getuid?.() !== 0) return argv
  return ['runuser', '-u', serviceUser(), '--', ...argv]
}

export async function serviceTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', serviceUser()])
    const { stdout: gid } = await run('id', ['-g', serviceUser()])
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  return dir
}

/** A cluster of our own, which a fault test may also restart. */
export interface LocalPostgres extends LocalServer {
  /** pg_ctl restart -m fast: every session is ended, then the server starts again. */
  restart(): Promise<void>
}

/** A throwaway cluster on `port` (a free one by default). */
export async function startLocalPostgres(binDir: string, port?: number): Promise<LocalPostgres> {
  const dir = await serviceTempDir('tenantry-pg-')
  const data = join(dir, 'data')
  const log = join(dir, 'server.log')
  const listen = port ?? (await freePort())
  const exec = async (argv: string[]) => {
    const [cmd, ...args] = asServiceUser(argv)
    await run(cmd as string, args, { cwd: dir })
  }
  const pgCtl = (...args: string[]) => exec([join(binDir, 'pg_ctl'), '-D', data, ...args])
  const settings = [
    `-p ${listen}`,
    `-k ${dir}`,
    "-c listen_addresses='127.0.0.1'",
    '-c max_connections=300',
    // A throwaway cluster: durability buys nothing here and costs seconds.
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
  ].join(' ')
  try {
    await exec([
      join(binDir, 'initdb'),
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ])
    await pgCtl('-o', settings, '-l', log, '-w', 'start')
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  return {
    url: `postgres://postgres@127.0.0.1:${listen}/postgres`,
    restart: () => pgCtl('-o', settings, '-l', log, '-m', 'fast', '-w', '-t', '60', 'restart'),
    async stop() {
      await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => {})
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * A redis-server on loopback `port` with nothing persisted, once it accepts connections.
 * Tests and benchmarks that kill Redis start it again on the same port with this.
 */
export async function spawnRedis(binary: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  try {
    await waitForPort(port, child)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  return child
}

/** Sends `signal` unless the process has already exited; resolves once it has. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  await exited
}

export async function startLocalRedis(binary: string): Promise<LocalServer> {
  const port = await freePort()
  const child = await spawnRedis(binary, port)
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => stopProcess(child, 'SIGTERM'),
  }
}

/** A redis-server that a fault test SIGKILLs and starts again on the same port. */
export class RestartableRedis {
  readonly url: string
  readonly #binary: string
  readonly #port: number
  #child: ChildProcess | undefined

  constructor(binary: string, port: number) {
    this.#binary = binary
    this.#port = port
    this.url = `redis://127.0.0.1:${port}`
  }

  get running(): boolean {
    const child = this.#child
    return child !== undefined && child.exitCode === null && child.signalCode === null
  }

  /** Starts it on its port, waiting (up to 5 s) for the port to be free again. */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      // Something else listening there would pass spawnRedis's wait: the port must be free.
      if (await portIsFree(this.#port)) {
        try {
          this.#child = await spawnRedis(this.#binary, this.#port)
          return
        } catch {
          // it could not bind (yet): try again
        }
      }
      if (attempt >= 20) throw new Error(`redis-server could not listen on ${this.#port} again`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.#child) await stopProcess(this.#child, signal)
  }
}

/**
 * A free port for a server that a test restarts: below the kernel's ephemeral range,
 * where freePort()'s are, and where another test's listen(0) or any outgoing connection
 * could take it while the server is down, so that it could not come back on it.
 */
export async function stablePort(): Promise<number> {
  let low = 32_768 // the usual default, when not on Linux
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0])
  } catch {
    // not Linux
  }
  for (let i = 0; low > 21_000 && i < 50; i++) {
    const port = randomInt(20_000, low)
    if (await portIsFree(port)) return port
  }
  return freePort()
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

export async function waitForPort(
  port: number,
  child: ChildProcess,
  timeoutMs = 10_000,
): Promise<void> {
  const { connect } = await import('node:net')
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(
        `${child.spawnfile} exited with ${child.exitCode} before listening on ${port}`,
      )
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${child.spawnfile} did not listen on ${port} within ${timeoutMs} ms`)
}

function serviceUser(): string {
  return process.env.TEST_PG_OS_USER ?? 'postgres'
}

function listPostgresLibDirs(): string[] {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return []
  return readdirSync(root)
    .filter((version) => Number(version) >= 15)
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(root, version, 'bin'))
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}
