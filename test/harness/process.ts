import { type ChildProcess, spawn } from 'node:child_process'
import { TEST_AUDIENCE, TEST_ISSUER } from './auth.ts'

/** A function (or `npm start`) as its own process, for tests that exercise main modules. */
export interface RunningProcess {
  child: ChildProcess
  /** Everything it wrote to stdout and stderr so far. */
  output(): string
  exited: Promise<number | null>
}

/**
 * What a function that verifies tokens against the auth function's JWKS (orgs, projects)
 * needs to start, as the test harness's issuer and audience; `extra` adds or overrides.
 */
export function verifyingFunctionEnv(
  port: number,
  databaseUrl: string,
  jwksUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    AUTH_ISSUER: TEST_ISSUER,
    AUTH_AUDIENCE: TEST_AUDIENCE,
    AUTH_JWKS_URL: jwksUrl,
    CURSOR_SECRET: 'c'.repeat(32),
    LOG_LEVEL: 'warn',
    ...extra,
  }
}

/** Runs `node <script>` from the repository root with only PATH and `env`. */
export function startProcess(script: string, env: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  child.stdout?.on('data', (chunk) => {
    text += chunk
  })
  child.stderr?.on('data', (chunk) => {
    text += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => text, exited }
}

/** Polls GET /readyz until 200; fails with the process's output after the timeout. */
export async function waitReady(
  port: number,
  proc: RunningProcess,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined)
    if (res?.status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  proc.child.kill('SIGKILL')
  throw new Error(`not ready within ${timeoutMs} ms:\n${proc.output()}`)
}
