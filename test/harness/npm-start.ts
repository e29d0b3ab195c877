import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'
import { freePort } from './local-servers.ts'

/**
 * `npm start` as a user runs it: the real npm, from the repository root, in a fresh
 * DATA_DIR, with only PATH and what the test passes in the environment.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface NpmStart {
  child: ChildProcess
  port: number
  /** `http://127.0.0.1:<port>` */
  url: string
  /** Everything npm and the server wrote so far. */
  output(): string
  /** The exit code, or the signal's name when npm died of one. */
  exited: Promise<number | string | null>
}

export interface NpmStartOptions {
  dataDir: string
  port?: number
  env?: Record<string, string>
  /** How long to wait for `/readyz` 200. */
  timeoutMs?: number
  /** npm in a process group of its own (to signal the whole group, as a terminal does). */
  detached?: boolean
}

export async function startNpm(options: NpmStartOptions): Promise<NpmStart> {
  const port = options.port ?? (await freePort())
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(port),
      DATA_DIR: options.dataDir,
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  })
  let text = ''
  child.stdout?.on('data', (chunk) => (text += chunk))
  child.stderr?.on('data', (chunk) => (text += chunk))
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  )
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined)
    if (res?.status === 200) return { child, port, url, output: () => text, exited }
    if (child.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`npm start was not ready:\n${text}`)
}

/** SIGTERM to npm, as `kill <pid of npm>` does; resolves with npm's exit code. */
export async function stopNpm(running: NpmStart): Promise<number | string | null> {
  running.child.kill('SIGTERM')
  return running.exited
}

/** A fresh data directory for the whole test file, removed at the end. */
export function useDataDir(): () => string {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tenantry-start-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  return () => dir
}
