import { type ChildProcess, spawn } from 'node:child_process'
import { Agent, request as httpRequest } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '#shared/log.ts'
import { Readiness, registerHealth } from './health.ts'
import { createApp } from './platform.ts'
import { type Served, serve } from './serve.ts'

/**
 * serve(): first in this process with the shutdown called directly and exit() recorded,
 * then as a real process (test/fixtures/slow-server.ts) that gets a real SIGTERM.
 */

interface Get {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One GET over node:http, so the test chooses the connection (keep-alive or fresh). */
function get(port: number, path: string, agent: Agent | false = false): Promise<Get> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('serve() in process', () => {
  const lines: string[] = []
  const log = createLogger('test', { destination: { write: (line: string) => lines.push(line) } })
  const started: Served[] = []
  afterEach(() => {
    for (const served of started.splice(0)) served.server.closeAllConnections()
    lines.length = 0
  })

  async function start(options: { drainTimeoutMs?: number; onShutdown?: () => Promise<void> }) {
    const readiness = new Readiness({ configs: () => ({ test: 1 }) })
    const app = createApp({ log })
    registerHealth(app, readiness)
    const events: string[] = []
    app.get('/slow/:ms', async (c) => {
      events.push('slow started')
      await sleep(Number(c.req.param('ms')))
      events.push('slow done')
      return c.json({ ok: true })
    })
    // Headers go out at once and the body 300 ms later: a response the drain cannot
    // mark `Connection: close` any more.
    app.get('/stream', () => {
      const body = new ReadableStream({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode('a'))
          await sleep(300)
          controller.enqueue(new TextEncoder().encode('b'))
          controller.close()
        },
      })
      return new Response(body)
    })
    const exits: number[] = []
    const served = await serve(app, {
      port: 0,
      hostname: '127.0.0.1',
      log,
      readiness,
      signals: [],
      exit: (code) => {
        events.push(`exit ${code}`)
        exits.push(code)
      },
      drainTimeoutMs: options.drainTimeoutMs ?? 5_000,
      onShutdown:
        options.onShutdown ??
        (async () => {
          events.push('onShutdown')
        }),
    })
    started.push(served)
    readiness.ready()
    return { app, served, readiness, events, exits }
  }

  it('listens on a free port when given 0 and serves the app there', async () => {
    const { served } = await start({})
    expect(served.port).toBeGreaterThan(0)
    const res = await get(served.port, '/readyz')
    expect(res.status, res.body).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ status: 'ready', configs: { test: 1 } })
  })

  it('listens only once listenAfter has settled, with the server set up before', async () => {
    let release = () => {}
    const listenAfter = new Promise<void>((resolve) => {
      release = resolve
    })
    const readiness = new Readiness()
    const app = createApp({ log })
    registerHealth(app, readiness)
    let served: Served | undefined
    const serving = serve(app, {
      port: 0,
      hostname: '127.0.0.1',
      log,
      readiness,
      signals: [],
      exit: () => {},
      listenAfter,
    }).then((result) => {
      served = result
      started.push(result)
      return result
    })
    await sleep(100)
    expect(served).toBeUndefined()
    expect(lines.filter((line) => line.includes('"listening"'))).toEqual([])
    release()
    const { port, server } = await serving
    expect(server.listening).toBe(true)
    expect((await get(port, '/healthz')).status).toBe(200)
  })

  it('drains: 503 on /readyz, in-flight requests finish, then onShutdown, then exit 0', async () => {
    const { app, served, events, exits } = await start({})
    // Keep-alive clients: without an agent node:http asks for `Connection: close` itself.
    const agent = new Agent({ keepAlive: true })
    const inFlight = [get(served.port, '/slow/300', agent), get(served.port, '/slow/300', agent)]
    await expect.poll(() => events.filter((e) => e === 'slow started').length).toBe(2)

    const done = served.shutdown('test')
    expect((await app.request('/readyz')).status).toBe(503)
    const answers = await Promise.all(inFlight)
    for (const res of answers) {
      expect(res.status, res.body).toBe(200)
      // Asked not to reuse the connection, so no client can send one more request.
      expect(res.headers.connection).toBe('close')
    }
    expect(await done).toBe(0)
    agent.destroy()
    expect(exits).toEqual([0])
    expect(events).toEqual([
      'slow started',
      'slow started',
      'slow done',
      'slow done',
      'onShutdown',
      'exit 0',
    ])
    expect(served.server.listening).toBe(false)
    expect(lines.join('')).toContain('shutdown complete')
  })

  it('does not let a keep-alive connection hold the drain open', async () => {
    const { served, events } = await start({})
    const agent = new Agent({ keepAlive: true, maxSockets: 2 })
    try {
      // One connection idle at the drain, one busy with a response already under way.
      expect((await get(served.port, '/healthz', agent)).status).toBe(200)
      const streaming = get(served.port, '/stream', agent)
      await sleep(50)
      const began = performance.now()
      const code = await served.shutdown()
      const took = performance.now() - began
      expect((await streaming).body).toBe('ab')
      expect(code).toBe(0)
      // Node keeps an idle keep-alive socket for 5 s: a drain that waited for it fails this.
      expect(took, JSON.stringify(events)).toBeLessThan(2_000)
    } finally {
      agent.destroy()
    }
  })

  it('shuts down once, however often it is asked', async () => {
    let calls = 0
    const { served, exits } = await start({
      onShutdown: async () => {
        calls++
      },
    })
    const [a, b] = [served.shutdown(), served.shutdown()]
    expect(await a).toBe(0)
    expect(await b).toBe(0)
    expect(calls).toBe(1)
    expect(exits).toEqual([0])
  })

  it('exits 1 with a log line when the drain passes its deadline', async () => {
    const { served, exits, events } = await start({ drainTimeoutMs: 200 })
    const stuck = get(served.port, '/slow/5000').catch((error: Error) => error)
    await expect.poll(() => events.includes('slow started')).toBe(true)
    const began = performance.now()
    expect(await served.shutdown()).toBe(1)
    expect(performance.now() - began).toBeLessThan(1_500)
    expect(exits).toEqual([1])
    expect(events).not.toContain('onShutdown')
    expect(lines.join('')).toMatch(/"level":"error".*did not finish before the deadline/)
    expect(await stuck).toBeInstanceOf(Error) // cut off, not answered
  })

  it('exits 1 when onShutdown fails', async () => {
    const { served, exits } = await start({
      onShutdown: () => Promise.reject(new Error('pool would not close')),
    })
    expect(await served.shutdown()).toBe(1)
    expect(exits).toEqual([1])
    expect(lines.join('')).toContain('pool would not close')
  })

  it('rejects when the port is taken', async () => {
    const { served } = await start({})
    const app = createApp({ log })
    const taken = serve(app, {
      port: served.port,
      hostname: '127.0.0.1',
      log,
      readiness: new Readiness(),
      signals: [],
    })
    await expect(taken).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })
})

describe('a real process on SIGTERM', () => {
  const fixture = 'test/fixtures/slow-server.ts'
  let child: ChildProcess | undefined
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL')
  })

  interface Line {
    msg: string
    level: string
    port?: number
    [key: string]: unknown
  }

  function startFixture(env: Record<string, string>) {
    const proc = spawn(process.execPath, [fixture], {
      cwd: process.cwd(),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = proc
    const lines: Line[] = []
    let stderr = ''
    let rest = ''
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n')
      rest = parts.pop() ?? ''
      for (const part of parts) if (part) lines.push(JSON.parse(part) as Line)
    })
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      proc.once('exit', (code) => resolve({ code, at: performance.now() })),
    )
    const seen = (msg: string) => lines.filter((line) => line.msg === msg).length
    const output = () => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}`
    return { proc, lines, seen, exited, output }
  }

  async function portOf(run: ReturnType<typeof startFixture>): Promise<number> {
    await expect.poll(() => run.seen('listening'), { timeout: 15_000 }).toBe(1)
    return run.lines.find((line) => line.msg === 'listening')?.port ?? 0
  }

  it('finishes every in-flight request, refuses new connections, closes pools, exits 0', async () => {
    const run = startFixture({ SLOW_MS: '1000' })
    const port = await portOf(run)
    await expect.poll(async () => (await get(port, '/readyz')).status).toBe(200)

    const inFlight = Array.from({ length: 5 }, () => get(port, '/slow'))
    await expect.poll(() => run.seen('slow started'), { timeout: 5_000 }).toBe(5)
    const signalled = performance.now()
    run.proc.kill('SIGTERM')
    await expect.poll(() => run.seen('draining'), { timeout: 2_000 }).toBe(1)

    // The listener is closed: a new connection is refused while the five still run.
    const fresh = await get(port, '/readyz').catch((error: NodeJS.ErrnoException) => error)
    expect(fresh, run.output()).toMatchObject({ code: 'ECONNREFUSED' })
    expect(run.seen('slow done'), run.output()).toBe(0)

    const answers = await Promise.all(inFlight)
    for (const res of answers) expect(res.status, run.output()).toBe(200)

    const { code, at } = await run.exited
    expect(code, run.output()).toBe(0)
    const messages = run.lines.map((line) => line.msg)
    const closedAt = messages.indexOf('pools closed')
    expect(closedAt, run.output()).toBeGreaterThan(messages.lastIndexOf('slow done'))
    expect(messages.at(-1), run.output()).toBe('shutdown complete')
    // 1 s of slow requests, then the pools: far from the 20 s deadline.
    expect(at - signalled, run.output()).toBeLessThan(5_000)
  })

  it('exits 1 with a log line when requests outlive the drain deadline', async () => {
    const run = startFixture({ SLOW_MS: '30000', DRAIN_TIMEOUT_MS: '300' })
    const port = await portOf(run)
    const stuck = get(port, '/slow').catch((error: Error) => error)
    await expect.poll(() => run.seen('slow started'), { timeout: 5_000 }).toBe(1)
    const signalled = performance.now()
    run.proc.kill('SIGTERM')
    const { code, at } = await run.exited
    expect(code, run.output()).toBe(1)
    expect(at - signalled, run.output()).toBeLessThan(3_000)
    expect(run.seen('shutdown did not finish before the deadline; exiting 1'), run.output()).toBe(1)
    expect(run.seen('pools closed'), run.output()).toBe(0)
    expect(await stuck).toBeInstanceOf(Error)
  })
})
