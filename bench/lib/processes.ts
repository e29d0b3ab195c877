import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '#test/harness/local-servers.ts'
import { onCleanup } from './cleanup.ts'

/**
 * Child processes of a benchmark: each one's output goes to a file of its own (cheap for
 * the child, readable when it fails), and every child is stopped at cleanup, however the
 * benchmark ends.
 */

/** A temporary folder for the children's logs, removed at cleanup. */
export async function logDirectory(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }))
  return dir
}

export interface Child {
  readonly name: string
  readonly process: ChildProcess
  readonly pid: number
  /** Resolves with the exit code, or -1 when a signal ended it or it could not start. */
  readonly exited: Promise<number>
  /** Whether the process has exited. */
  readonly done: boolean
  /** The last `chars` characters of its output. */
  output(chars?: number): string
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>
}

export interface SpawnOptions {
  name: string
  /** Arguments to this Node binary (process.execPath). */
  args: readonly string[]
  env: Record<string, string>
  /** Where stdout and stderr go; without it they are ignored. */
  logFile?: string
  /** Register a cleanup task that stops it (default true). */
  cleanup?: boolean
}

/** Spawns `node <args>` (the same Node as this process) with exactly `env` (plus PATH). */
export function spawnNode(options: SpawnOptions): Child {
  const fd = options.logFile ? openSync(options.logFile, 'w') : undefined
  const out = fd ?? 'ignore'
  let child: ChildProcess
  try {
    child = spawn(process.execPath, options.args, {
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['ignore', out, out],
    })
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  let done = false
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code) => {
      done = true
      resolve(code ?? -1)
    })
    child.once('error', () => {
      done = true
      resolve(-1)
    })
  })
  const stop = async (graceMs = 5000) => {
    if (done) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
  if (options.cleanup ?? true) onCleanup(`stop ${options.name}`, () => stop(3000))
  return {
    name: options.name,
    process: child,
    pid: child.pid ?? -1,
    exited,
    get done() {
      return done
    },
    output(chars = 4000) {
      if (!options.logFile) return ''
      try {
        return readFileSync(options.logFile, 'utf8').slice(-chars)
      } catch {
        return ''
      }
    },
    stop,
  }
}

export interface HttpAnswer {
  status: number
  body: string
}

/** One GET to 127.0.0.1 on a new connection (no keep-alive). */
export function getOnce(port: number, path: string, timeoutMs = 2000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
        response.on('error', reject)
      },
    )
    request.on('timeout', () => request.destroy(new Error(`GET ${path}: timed out`)))
    request.on('error', reject)
  })
}

/**
 * Polls `GET path` every `intervalMs` until it answers 200; resolves with performance.now()
 * at that answer. Fails when the child exits first or after `timeoutMs`.
 */
export async function waitForOk(
  child: Child,
  port: number,
  path: string,
  { intervalMs = 5, timeoutMs = 20_000 }: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<number> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const started = performance.now()
    const answer = await getOnce(port, path).catch(() => undefined)
    if (answer?.status === 200) return performance.now()
    if (child.done) {
      throw new Error(`${child.name} exited before ${path} answered 200:\n${child.output()}`)
    }
    if (performance.now() > deadline) {
      throw new Error(`${child.name}: no 200 on ${path} within ${timeoutMs} ms:\n${child.output()}`)
    }
    const wait = intervalMs - (performance.now() - started)
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  }
}

export interface Server {
  child: Child
  port: number
  logFile: string
}

/**
 * A server process (`args` to node) on a free loopback port, its output in `logs`, once
 * its /readyz answers 200.
 */
export async function startServer(
  name: string,
  args: string[],
  logs: string,
  env: (port: number) => Record<string, string>,
): Promise<Server> {
  const port = await freePort()
  const logFile = join(logs, `${name.replaceAll(' ', '-')}.log`)
  const child = spawnNode({ name, args, env: env(port), logFile })
  await waitForOk(child, port, '/readyz', { intervalMs: 50, timeoutMs: 30_000 })
  return { child, port, logFile }
}
