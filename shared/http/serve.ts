import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer, type WebSocketServerLike } from '@hono/node-server'
import type { Logger } from '#shared/log.ts'
import type { Readiness } from './health.ts'

/**
 * The process side of a function: listen on $PORT, and drain on SIGTERM inside
 * Knative's grace period. Knative delays the container's SIGTERM (a preStop hook on the
 * queue-proxy) until the proxy has stopped routing to the pod, so when it arrives no
 * new requests are coming and the listener can close at once; what matters is letting
 * the ones in flight finish.
 *
 * Shutdown, in order: readiness → draining (/readyz 503); stop accepting connections;
 * close idle keep-alive ones and answer the rest with `Connection: close`; `onDrain`
 * (chat closes its long-lived connections); when the last connection is gone, run
 * `onShutdown` (close pools); exit 0. If all of that has not finished within
 * `drainTimeoutMs`, log and exit 1.
 */

export const DEFAULT_DRAIN_TIMEOUT_MS = 20_000
/** Interrupts closer together than this are one Ctrl-C delivered twice. */
const REPEATED_INTERRUPT_MS = 1_000

export interface ServeOptions {
  /** 0 picks a free port (tests); the bound one is returned. */
  port: number
  hostname?: string
  log: Logger
  readiness: Readiness
  /**
   * Once the listener is closed: end long-lived connections (SSE, WebSocket), which
   * would otherwise hold the drain until its deadline.
   */
  onDrain?: () => void | Promise<void>
  /** After the last connection closed: close pools and clients. */
  onShutdown?: () => void | Promise<void>
  /** The whole shutdown's budget; default 20 s, well inside Knative's 30 s. */
  drainTimeoutMs?: number
  /** Signals that start a shutdown; default SIGTERM and SIGINT; `[]` installs none. */
  signals?: readonly NodeJS.Signals[]
  /** How the process ends; injectable for tests. Default `process.exit`. */
  exit?: (code: number) => void
  /** For a function that upgrades to WebSocket (chat). */
  websocket?: { server: WebSocketServerLike }
  /**
   * Listen only once this has settled; the server is set up meanwhile. A function's start
   * passes its config load (see start-function.ts).
   */
  listenAfter?: Promise<unknown>
}

export interface Served {
  port: number
  server: Server
  /**
   * Starts the shutdown (idempotent); resolves with the exit code once it has exited.
   * `failed` (a fatal condition, not a request to stop) makes a clean drain exit 1.
   */
  shutdown(reason?: string, options?: { failed?: boolean }): Promise<number>
}

interface Fetchable {
  fetch: (request: Request, env: never) => Response | Promise<Response>
}

export async function serve(app: Fetchable, options: ServeOptions): Promise<Served> {
  const { log, readiness } = options
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS
  const server = createAdaptorServer({
    fetch: app.fetch as (request: Request, env: unknown) => Response | Promise<Response>,
    createServer,
    ...(options.websocket ? { websocket: options.websocket } : {}),
  }) as Server

  // Responses not finished yet, so that a drain can ask their clients not to reuse the
  // connection. Prepended: it must run before the adapter can write a synchronous answer.
  const open = new Set<ServerResponse>()
  let draining = false
  server.prependListener('request', (_request, response: ServerResponse) => {
    open.add(response)
    if (draining) closeAfter(response)
    response.once('close', () => {
      open.delete(response)
      // The socket is idle now; without this a keep-alive client could hold the drain
      // open until its own timeout.
      if (draining) setImmediate(() => server.closeIdleConnections())
    })
  })

  await options.listenAfter
  const port = await listen(server, options.port, options.hostname)
  log.info({ port }, 'listening')
  log.flush() // lines are batched; this one is waited for

  let shutdownPromise: Promise<number> | undefined
  const shutdown = (reason = 'shutdown', { failed = false } = {}) => {
    shutdownPromise ??= drain(reason, failed)
    return shutdownPromise
  }

  async function drain(reason: string, failed: boolean): Promise<number> {
    const started = performance.now()
    readiness.drain()
    draining = true
    log.info({ reason, in_flight: open.size }, 'draining')
    let timer: NodeJS.Timeout | undefined
    let expired = false
    const deadline = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        expired = true
        log.error(
          { in_flight: open.size, drain_timeout_ms: drainTimeoutMs },
          'shutdown did not finish before the deadline; exiting 1',
        )
        server.closeAllConnections()
        resolve(1)
      }, drainTimeoutMs)
    })
    const drained = await Promise.race([deadline, finish(() => expired)])
    clearTimeout(timer)
    const code = failed ? 1 : drained
    if (drained === 0) {
      log.info(
        { duration_ms: Math.round(performance.now() - started), exit_code: code },
        'shutdown complete',
      )
    }
    log.flush()
    exit(code)
    return code
  }

  async function finish(expired: () => boolean): Promise<number> {
    // close() stops accepting and (Node ≥ 19) closes the idle keep-alive connections;
    // its callback runs once every connection has ended.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const response of open) closeAfter(response)
    server.closeIdleConnections()
    try {
      await options.onDrain?.()
    } catch (error) {
      log.error({ err: error }, 'onDrain failed; draining anyway')
    }
    await closed
    // Past the deadline the process is exiting already; with an injected exit it is not,
    // and the pools must not be closed under whatever runs next.
    if (expired()) return 1
    try {
      await options.onShutdown?.()
      return 0
    } catch (error) {
      log.error({ err: error }, 'onShutdown failed')
      return 1
    }
  }

  const signals = options.signals ?? ['SIGTERM', 'SIGINT']
  let firstInterruptAt = Number.NEGATIVE_INFINITY
  for (const signal of signals) {
    process.on(signal, () => {
      if (signal === 'SIGINT') {
        // A second Ctrl-C in a terminal means "now". One Ctrl-C arrives twice under
        // `npm start` (from the terminal to the whole process group, and relayed by
        // npm), so only a second one a moment later counts.
        const now = performance.now()
        if (firstInterruptAt === Number.NEGATIVE_INFINITY) firstInterruptAt = now
        else if (now - firstInterruptAt > REPEATED_INTERRUPT_MS) {
          log.warn({ signal }, 'second interrupt; exiting 1 without waiting')
          exit(1)
          return
        }
      }
      void shutdown(signal)
    })
  }

  return { port, server, shutdown }
}

/** Asks the client to close the connection after this response, if not yet sent. */
function closeAfter(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('Connection', 'close')
}

function listen(server: Server, port: number, hostname?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, hostname, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}
