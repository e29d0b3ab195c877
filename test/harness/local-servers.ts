import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { accessSync, chownSync, constants, existsSync, readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
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

export async function startLocalPostgres(binDir: string): Promise<LocalServer> {
  const dir = await serviceTempDir('tenantry-pg-')
  const data = join(dir, 'data')
  const port = await freePort()
  const exec = (argv: string[]) => {
    const [cmd, ...args] = asServiceUser(argv)
    return run(cmd as string, args, { cwd: dir })
  }
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
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses='127.0.0.1'",
    '-c max_connections=300',
    // A throwaway cluster: durability buys nothing here and costs seconds.
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
  ].join(' ')
  await exec([
    join(binDir, 'pg_ctl'),
    '-D',
    data,
    '-o',
    settings,
    '-l',
    join(dir, 'server.log'),
    '-w',
    'start',
  ])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await exec([join(binDir, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']).catch(
        () => {},
      )
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
  await waitForPort(port, child)
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
