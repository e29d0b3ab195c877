import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '#test/harness/local-servers.ts'
import { type NpmStart, startNpm, stopNpm, useDataDir } from '#test/harness/npm-start.ts'
import { EXIT_THRESHOLDS_FAILED } from './cli.ts'

/**
 * `npm run load` as a user runs it: scripts/load.ts in a process of its own, against
 * `npm start` on a fresh data directory, and against a server that fails every request.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

interface Outcome {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the harness; one still running after `killAfterMs` is killed (code null). */
function load(
  args: string[],
  env: Record<string, string> = {},
  killAfterMs = 45_000,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/load.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(killer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The closing `<name> <number>` lines, by name. */
function figures(stdout: string): Map<string, number> {
  const found = new Map<string, number>()
  for (const line of stdout.trimEnd().split('\n')) {
    const match = /^(\S.*) (-?[0-9.]+)$/.exec(line)
    if (match) found.set(match[1] as string, Number(match[2]))
  }
  return found
}

describe('npm run load -- smoke against npm start', () => {
  const dataDir = useDataDir()
  let server: NpmStart
  beforeAll(async () => {
    server = await startNpm({ dataDir: dataDir(), env: { LOG_LEVEL: 'warn' } })
  })
  afterAll(async () => {
    if (server) await stopNpm(server)
  })

  it('passes every threshold, prints the summary and exits 0', async () => {
    const outcome = await load(['smoke', '--url', server.url, '--duration', '10s'])
    const report = `${outcome.stdout}\n--- stderr\n${outcome.stderr}\n--- npm start\n${server.output()}`
    expect(outcome.code, report).toBe(0)
    expect(outcome.stdout).toContain('█ THRESHOLDS')
    expect(outcome.stdout).toContain('✓ http_req_duration{route:POST /v1/orgs}')
    expect(outcome.stdout).toMatch(/✓ http_req_failed\s+rate<0\.01\s+rate=0\.00%/)
    expect(outcome.stdout, report).not.toContain('✗')
    for (const check of ['guest signed in', 'org created', 'project created', 'token refreshed']) {
      expect(outcome.stdout).toMatch(new RegExp(`✓ ${check}\\s+\\d+ of \\d+`))
    }
    const lines = outcome.stdout.trimEnd().split('\n')
    expect(lines.at(-1)).toBe('thresholds_failed 0')
    const numbers = figures(outcome.stdout)
    expect(numbers.get('requests'), report).toBeGreaterThan(20)
    expect(numbers.get('rps')).toBeGreaterThan(1)
    expect(numbers.get('error_rate')).toBe(0)
    expect(numbers.get('p95_ms{route="POST /v1/orgs"}')).toBeGreaterThan(0)
    // Not a terminal here: the progress comes as plain lines on stderr.
    expect(outcome.stderr).toMatch(
      /smoke {2}\d+s\/10s {2}vus 1 {2}requests \d+ {2}[\d.]+\/s {2}p95 /,
    )
  }, 60_000)
})

describe('npm run load against a failing server', () => {
  let failing: Server
  let url = ''
  beforeAll(async () => {
    failing = createServer((_request, response) => {
      response.writeHead(500, { 'content-type': 'application/problem+json' })
      response.end(JSON.stringify({ status: 500, code: 'INTERNAL', title: 'Internal error' }))
    })
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    failing.closeAllConnections()
    await new Promise((resolve) => failing.close(resolve))
  })

  it('fails the thresholds and exits non-zero, as k6 does (99)', async () => {
    const outcome = await load(['smoke', '--url', url, '--duration', '2s'])
    expect(outcome.code, outcome.stdout + outcome.stderr).toBe(EXIT_THRESHOLDS_FAILED)
    expect(outcome.stdout).toMatch(/✗ http_req_failed\s+rate<0\.01\s+rate=100\.00%/)
    expect(outcome.stdout).toMatch(/✗ checks/)
    expect(outcome.stdout).toContain('POST /v1/auth/guest → 500 INTERNAL ×')
    expect(figures(outcome.stdout).get('thresholds_failed')).toBeGreaterThan(0)
    expect(outcome.stderr).toMatch(/thresholds? failed: http_req_failed rate<0\.01/)
  }, 30_000)

  it('ends on time when every request fails at once', async () => {
    // Nothing listening (refused), and a port fetch itself refuses without any I/O (9 is
    // on the Fetch standard's bad-port list): the VUs must not starve the run's timers.
    for (const port of [await freePort(), 9]) {
      const started = performance.now()
      const outcome = await load(
        ['smoke', '--url', `http://127.0.0.1:${port}`, '--duration', '2s'],
        {},
        20_000,
      )
      expect(outcome.code, `port ${port}: ${outcome.stderr}`).toBe(EXIT_THRESHOLDS_FAILED)
      expect(performance.now() - started, `port ${port}`).toBeLessThan(15_000)
      expect(outcome.stdout).toContain('POST /v1/auth/guest → no answer ×')
      expect(figures(outcome.stdout).get('error_rate')).toBe(1)
    }
  }, 60_000)

  it('refuses a bad invocation with k6’s invalid-config code (104)', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['nosuch'], {}, /no scenario named 'nosuch'/],
      [['smoke', '--duration', '10'], {}, /not a duration/],
      [['smoke', '--vus', '0'], {}, /--vus must be a whole number/],
      [['smoke', '--what'], {}, /unknown option --what/],
      [['config', '--url', url], {}, /config needs a machine client: set CLIENT_SECRET/],
    ]
    for (const [args, env, message] of cases) {
      const outcome = await load(args, env)
      expect(outcome.code, args.join(' ')).toBe(104)
      expect(outcome.stderr, args.join(' ')).toMatch(message)
    }
  }, 30_000)
})
