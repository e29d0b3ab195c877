import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type NpmStart, startNpm, useDataDir } from '#test/harness/npm-start.ts'

/**
 * How `npm start` ends, whichever way a user stops it, and that its PostgreSQL server
 * never outlives it: signals to npm, to the process group, Ctrl-C, a SIGKILL of the
 * server, a server left running, a second start on the same data, and where it listens.
 */

const dataDir = useDataDir()

/** The pid the embedded PostgreSQL wrote, or undefined when none runs. */
function postgresPid(): number | undefined {
  try {
    const pid = Number(
      readFileSync(join(dataDir(), 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
    )
    return alive(pid) ? pid : undefined
  } catch {
    return undefined
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

async function gone(pid: number, ms = 10_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (!alive(pid)) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

/** The server process: npm's only child (npm start execs node). */
function serverPid(running: NpmStart): number {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(running.child.pid)], {
    encoding: 'utf8',
  })
  return Number(out.trim().split('\n')[0])
}

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host)
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })
}

async function expectStoppedCleanly(running: NpmStart, exited: Promise<unknown>) {
  expect(await exited, running.output()).toBe(0)
  expect(running.output()).toContain('"msg":"shutdown complete"')
  expect(await refused('127.0.0.1', running.port)).toBe(true)
  const pid = postgresPid()
  expect(pid === undefined || (await gone(pid)), 'the embedded PostgreSQL stopped').toBe(true)
}

describe('stopping npm start', () => {
  it('drains and exits 0 on SIGTERM to npm, and its PostgreSQL stops', async () => {
    const running = await startNpm({ dataDir: dataDir() })
    const server = serverPid(running)
    expect(postgresPid()).toBeDefined()
    running.child.kill('SIGTERM')
    await expectStoppedCleanly(running, running.exited)
    expect(await gone(server)).toBe(true)
  })

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'drains and exits 0 on %s to the whole process group (a terminal’s Ctrl-C is SIGINT)',
    async (signal) => {
      const running = await startNpm({ dataDir: dataDir(), detached: true })
      process.kill(-(running.child.pid as number), signal)
      await expectStoppedCleanly(running, running.exited)
    },
  )
})

describe('the embedded PostgreSQL', () => {
  it('stops when the server is SIGKILLed, and the next start works on the same data', async () => {
    const first = await startNpm({ dataDir: dataDir() })
    const pg = postgresPid() as number
    process.kill(serverPid(first), 'SIGKILL')
    await first.exited
    expect(await gone(pg), 'the server’s watchdog stopped PostgreSQL').toBe(true)
    const second = await startNpm({ dataDir: dataDir() })
    second.child.kill('SIGTERM')
    await expectStoppedCleanly(second, second.exited)
  })

  it('stops a server left running on the data directory at the next start', async () => {
    const first = await startNpm({ dataDir: dataDir() })
    const pg = postgresPid() as number
    // Kill everything but PostgreSQL itself: its watchdog (a shell and its reader) too,
    // so that nothing is left to stop it.
    for (const line of execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split(
      '\n',
    )) {
      if (line.includes('tenantry-embedded-postgres') && line.includes(dataDir())) {
        process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL')
      }
    }
    process.kill(serverPid(first), 'SIGKILL')
    await first.exited
    expect(alive(pg), 'PostgreSQL is left running').toBe(true)
    const second = await startNpm({ dataDir: dataDir() })
    expect(second.output()).toContain('stopping a PostgreSQL server left running')
    expect(alive(pg)).toBe(false)
    second.child.kill('SIGTERM')
    await expectStoppedCleanly(second, second.exited)
  })

  it('refuses a second npm start on the same data directory, and leaves the first alone', async () => {
    const first = await startNpm({ dataDir: dataDir() })
    try {
      const second = spawn('npm', ['start', '--silent'], {
        cwd: process.cwd(),
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          DATA_DIR: dataDir(),
          PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      second.stdout.on('data', (chunk) => (output += chunk))
      second.stderr.on('data', (chunk) => (output += chunk))
      const code = await new Promise((resolve) => second.on('exit', resolve))
      expect(code).not.toBe(0)
      expect(output).toContain('another process is using the embedded PostgreSQL')
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200)
    } finally {
      first.child.kill('SIGTERM')
      await expectStoppedCleanly(first, first.exited)
    }
  })
})

describe('where npm start listens', () => {
  // Linux routes all of 127.0.0.0/8 to the loopback interface: 127.0.0.2 reaches a
  // server bound to every interface, never one bound to 127.0.0.1 alone.
  it('binds 127.0.0.1 by default, and every interface with HOST=0.0.0.0', async () => {
    const local = await startNpm({ dataDir: dataDir() })
    try {
      expect(await refused('127.0.0.1', local.port)).toBe(false)
      expect(await refused('127.0.0.2', local.port)).toBe(true)
    } finally {
      local.child.kill('SIGTERM')
      await local.exited
    }
    const everywhere = await startNpm({ dataDir: dataDir(), env: { HOST: '0.0.0.0' } })
    try {
      expect(await refused('127.0.0.2', everywhere.port)).toBe(false)
    } finally {
      everywhere.child.kill('SIGTERM')
      await everywhere.exited
    }
  })
})
