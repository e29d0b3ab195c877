import { type ChildProcess, execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { findOnPath, freePort, spawnRedis, stopProcess } from '#test/harness/local-servers.ts'
import { onCleanup } from './cleanup.ts'

/**
 * A redis-server of the benchmark's own, from the machine's binary, on a loopback port
 * it keeps: `kill()` SIGKILLs it (every connection drops at once, as when a pod dies) and
 * `start()` starts it again on the same port, empty, so that clients find it where they
 * left it. No persistence. Stopped at cleanup however the benchmark ends.
 */

export interface BenchRedis {
  readonly url: string
  readonly port: number
  /** `redis-server <version>, <binary>` for the benchmark's header. */
  readonly description: string
  /** Whether the server is running. */
  readonly up: boolean
  /** SIGKILL; resolves once it has exited. */
  kill(): Promise<void>
  /** Starts it again on the same port; resolves once it accepts connections. */
  start(): Promise<void>
}

const run = promisify(execFile)

export async function provideBenchRedis(): Promise<BenchRedis> {
  const binary = findOnPath('redis-server')
  if (!binary) {
    throw new Error('this benchmark needs redis-server on the PATH (e.g. Debian redis-server)')
  }
  const { stdout } = await run(binary, ['--version'])
  const version = /v=(\S+)/.exec(stdout)?.[1] ?? 'unknown version'
  const port = await freePort()
  let child: ChildProcess | undefined
  /** Set at cleanup: a restart scheduled by a benchmark that failed meanwhile must not run. */
  let closed = false

  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null
  const kill = async () => {
    if (child) await stopProcess(child, 'SIGKILL')
  }
  const start = async () => {
    if (closed) throw new Error('the bench Redis was stopped at cleanup')
    if (running()) return
    child = await spawnRedis(binary, port)
  }
  onCleanup('stop the bench Redis', () => {
    closed = true
    return kill()
  })
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    description: `redis-server ${version} (${binary}, port ${port}, no persistence)`,
    get up() {
      return running()
    },
    kill,
    start,
  }
}
