import { type ChildProcess, spawn } from 'node:child_process'
import { Agent, createServer, request as httpRequest } from 'node:http'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '#shared/log.ts'
import { ERROR_CATALOG, type Problem } from './errors.ts'
import { Readiness, registerHealth } from './health.ts'
import { createApp } from './platform.ts'
import { type Served, type ServeOptions, serve } from './serve.ts'

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

/**
 * A raw TCP client (node:net): the test decides every byte, and when to stop sending.
 * `closed` settles when the server closes the connection, or after `limitMs` (then the
 * client gives up and closes it itself, and the test sees what had arrived by then).
 */
function rawClient(port: number, limitMs = 5_000) {
  const socket: Socket = connect({ host: '127.0.0.1', port })
  const opened = performance.now()
  let data = ''
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    data += chunk
  })
  socket.on('error', () => {}) // a reset shows as `closed` without the answer
  const closed = new Promise<{ text: string; ms: number }>((resolve) => {
    const limit = setTimeout(() => socket.destroy(), limitMs)
    socket.once('close', () => {
      clearTimeout(limit)
      resolve({ text: data, ms: performance.now() - opened })
    })
  })
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  return { socket, connected, closed, text: () => data }
}

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** One HTTP/1.1 response as it came over the wire. */
function parseResponse(text: string): RawResponse {
  const split = text.indexOf('\r\n\r\n')
  expect(split, JSON.stringify(text)).toBeGreaterThan(0)
  const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(split + 4) }
}

/** A complete problem+json answer that closes the connection; returns the problem. */
function expectProblem(res: RawResponse, status: number): Problem {
  const shown = JSON.stringify(res)
  expect(res.status, shown).toBe(status)
  expect(res.headers['content-type'], shown).toBe('application/problem+json; charset=utf-8')
  expect(res.headers.connection, shown).toBe('close')
  expect(Number(res.headers['content-length']), shown).toBe(Buffer.byteLength(res.body))
  const problem = JSON.parse(res.body) as Problem
  expect(problem.status, shown).toBe(status)
  expect(ERROR_CATALOG[problem.code].status, shown).toBe(status)
  expect(problem.title, shown).toBe(ERROR_CATALOG[problem.code].title)
  expect(problem.type, shown).toMatch(/^\/docs\/errors#[a-z-]+$/)
  expect(problem.request_id, shown).toMatch(/^[0-9a-f-]{36}$/)
  expect(res.headers['x-request-id'], shown).toBe(problem.request_id)
  expect(problem, shown).not.toHaveProperty('instance')
  return problem
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

describe('serve(): slow clients and oversized headers', () => {
  const log = createLogger('test', { destination: { write: () => {} } })
  const started: Served[] = []
  const clients: Socket[] = []
  afterEach(() => {
    for (const socket of clients.splice(0)) socket.destroy()
    for (const served of started.splice(0)) {
      served.server.closeAllConnections()
      served.server.close()
    }
  })

  /** Short timeouts, checked often, so that a test waits a fraction of a second. */
  const SHORT = {
    headersTimeoutMs: 300,
    requestTimeoutMs: 600,
    timeoutCheckIntervalMs: 25,
  } satisfies Partial<ServeOptions>

  async function start(overrides: Partial<ServeOptions> = SHORT) {
    const readiness = new Readiness()
    const app = createApp({ log })
    registerHealth(app, readiness)
    // A long-lived stream (SSE-like): a chunk every 100 ms for about a second.
    app.get('/long-stream', () => {
      const body = new ReadableStream({
        async start(controller) {
          for (let i = 0; i < 10; i++) {
            controller.enqueue(new TextEncoder().encode(`${i}`))
            await sleep(100)
          }
          controller.close()
        },
      })
      return new Response(body)
    })
    app.post('/echo', async (c) => c.json({ length: (await c.req.text()).length }))
    const exits: number[] = []
    const served = await serve(app, {
      port: 0,
      hostname: '127.0.0.1',
      log,
      readiness,
      signals: [],
      exit: (code) => exits.push(code),
      ...overrides,
    })
    started.push(served)
    readiness.ready()
    return { served, exits }
  }

  function client(port: number) {
    const raw = rawClient(port)
    clients.push(raw.socket)
    return raw
  }

  it('uses timeouts fit for an API server behind Knative unless told otherwise', async () => {
    const { served } = await start({})
    const node = createServer() // Node's defaults, which these replace
    expect(served.server.headersTimeout).toBe(10_000)
    expect(served.server.requestTimeout).toBe(30_000)
    expect(served.server.keepAliveTimeout).toBe(95_000)
    expect(served.server.headersTimeout).toBeLessThan(node.headersTimeout)
    expect(served.server.requestTimeout).toBeLessThan(node.requestTimeout)
    // Longer than the queue-proxy's 90 s idle timeout, or it reuses a socket we close.
    expect(served.server.keepAliveTimeout).toBeGreaterThan(90_000)
  })

  it('takes the timeouts it is given', async () => {
    const { served } = await start({
      headersTimeoutMs: 1_234,
      requestTimeoutMs: 5_678,
      keepAliveTimeoutMs: 4_321,
    })
    expect(served.server.headersTimeout).toBe(1_234)
    expect(served.server.requestTimeout).toBe(5_678)
    expect(served.server.keepAliveTimeout).toBe(4_321)
    // A short request timeout alone brings the headers timeout down with it.
    const short = await start({ requestTimeoutMs: 500 })
    expect(short.served.server.headersTimeout).toBe(500)
  })

  it('answers 20 KiB of headers with 431 problem+json HEADERS_TOO_LARGE and closes', async () => {
    const { served } = await start()
    const raw = client(served.port)
    await raw.connected
    const secret = 'SECRET-cookie-'
    raw.socket.write(
      `GET /healthz HTTP/1.1\r\nHost: test\r\nCookie: ${secret}${'x'.repeat(20 * 1024)}\r\n\r\n`,
    )
    const { text } = await raw.closed
    const problem = expectProblem(parseResponse(text), 431)
    expect(problem.code).toBe('HEADERS_TOO_LARGE')
    expect(problem.title).toBe('The request headers are too large')
    expect(text).not.toContain(secret)
  })

  it('answers a request line that stalls with 408 REQUEST_TIMEOUT after the headers timeout, and closes', async () => {
    const { served } = await start()
    const raw = client(served.port)
    await raw.connected
    raw.socket.write('GET /heal') // half a request line, then nothing
    const { text, ms } = await raw.closed
    const problem = expectProblem(parseResponse(text), 408)
    expect(problem.code).toBe('REQUEST_TIMEOUT')
    expect(problem.title).toBe('The request took too long to arrive')
    expect(ms, text).toBeGreaterThanOrEqual(SHORT.headersTimeoutMs - 50)
    expect(ms, text).toBeLessThan(SHORT.requestTimeoutMs + 500)
    expect(raw.socket.destroyed).toBe(true)
  })

  it('answers a body that stalls with 408 after the request timeout', async () => {
    const { served } = await start()
    const raw = client(served.port)
    await raw.connected
    raw.socket.write(
      'POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
    )
    const { text, ms } = await raw.closed
    expect(expectProblem(parseResponse(text), 408).code).toBe('REQUEST_TIMEOUT')
    expect(ms, text).toBeGreaterThanOrEqual(SHORT.requestTimeoutMs - 50)
    expect(ms, text).toBeLessThan(SHORT.requestTimeoutMs + 1_000)
  })

  it('answers a request that is not HTTP with 400 problem+json', async () => {
    const { served } = await start()
    const raw = client(served.port)
    await raw.connected
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: test\r\nNot a header\r\n\r\n')
    const { text } = await raw.closed
    expect(expectProblem(parseResponse(text), 400).code).toBe('VALIDATION_FAILED')
    expect(text).not.toContain('Not a header')
  })

  it('still serves a normal request, and keeps a keep-alive connection idle past the headers timeout', async () => {
    const { served } = await start()
    const raw = client(served.port)
    await raw.connected
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n')
    await expect.poll(() => raw.text().includes('{"status":"ok"}')).toBe(true)
    expect(parseResponse(raw.text()).status, raw.text()).toBe(200)
    // Idle between requests is the keep-alive timeout's business, not the headers one's.
    await sleep(SHORT.headersTimeoutMs * 2)
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n')
    const { text } = await raw.closed
    expect(text.match(/HTTP\/1\.1 200 OK/g), text).toHaveLength(2)
    expect(text).not.toContain('408')
  })

  it('lets a streaming response run past the request timeout', async () => {
    const { served } = await start({ ...SHORT, headersTimeoutMs: 100, requestTimeoutMs: 200 })
    const began = performance.now()
    const res = await get(served.port, '/long-stream')
    expect(performance.now() - began).toBeGreaterThan(800) // four request timeouts
    expect(res.status, res.body).toBe(200)
    expect(res.body).toBe('0123456789')
  })

  it('lets an upgraded connection live past the request timeout', async () => {
    const { served } = await start({ ...SHORT, headersTimeoutMs: 100, requestTimeoutMs: 200 })
    // What a WebSocket server does, reduced to an echo.
    served.server.on('upgrade', (_request, socket: Socket) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n',
      )
      socket.on('data', (chunk) => socket.write(chunk))
    })
    const raw = client(served.port)
    await raw.connected
    raw.socket.write(
      'GET /echo HTTP/1.1\r\nHost: test\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n',
    )
    await expect.poll(() => raw.text()).toContain('101 Switching Protocols')
    await sleep(600) // three request timeouts
    raw.socket.write('still here')
    await expect.poll(() => raw.text()).toContain('still here')
    expect(raw.socket.destroyed).toBe(false)
  })

  it('does not let a stalled client hold the drain past the headers timeout', async () => {
    const { served, exits } = await start({ ...SHORT, drainTimeoutMs: 5_000 })
    const raw = client(served.port)
    await raw.connected
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: te')
    await sleep(50)
    const began = performance.now()
    expect(await served.shutdown()).toBe(0)
    expect(performance.now() - began).toBeLessThan(2_000)
    expect(exits).toEqual([0])
    const { text } = await raw.closed
    expect(parseResponse(text).status, text).toBe(408)
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

  it('answers a client stalled mid-headers 408 during the drain, then exits 0', async () => {
    const run = startFixture({ HEADERS_TIMEOUT_MS: '500', DRAIN_TIMEOUT_MS: '10000' })
    const port = await portOf(run)
    const stalled = rawClient(port)
    await stalled.connected
    stalled.socket.write('GET /slow HTTP/1.1\r\nHost: te')
    await sleep(50)
    const signalled = performance.now()
    run.proc.kill('SIGTERM')
    const { code, at } = await run.exited
    expect(code, run.output()).toBe(0)
    // The headers timeout, not the 10 s drain deadline, ended that connection.
    expect(at - signalled, run.output()).toBeLessThan(3_000)
    const { text } = await stalled.closed
    expect(expectProblem(parseResponse(text), 408).code).toBe('REQUEST_TIMEOUT')
    expect(run.lines.map((line) => line.msg).at(-1), run.output()).toBe('shutdown complete')
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
