import { randomUUID } from 'node:crypto'
import { createServer, type Server, type ServerResponse, STATUS_CODES } from 'node:http'
import { type AddressInfo, Server as NetServer, type Socket } from 'node:net'
import { createAdaptorServer, type WebSocketServerLike } from '@hono/node-server'
import type { Logger } from '#shared/log.ts'
import { ApiError, type ErrorCode, toProblem } from './errors.ts'
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
 *
 * Slow and oversized requests: Node's defaults let a client that sends its headers a
 * byte at a time hold a socket for a minute, longer than the drain's whole budget. The
 * header and request timeouts below cut it off, and what Node would answer with a bare
 * status line (431, 408, 400) gets a problem+json body like every other error.
 */

export const DEFAULT_DRAIN_TIMEOUT_MS = 20_000
/** Interrupts closer together than this are one Ctrl-C delivered twice. */
const REPEATED_INTERRUPT_MS = 1_000

/**
 * Receiving the complete request headers. Our clients (Knative's queue-proxy, and behind
 * it the gateway) send them in one go; only a slow or hostile client needs longer. Also
 * bounds how long such a client can hold a drain open: well under `drainTimeoutMs`.
 */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000
/**
 * Receiving the whole request, headers and body (64 KiB at most; 2 KiB/s at the limit).
 * Node applies it to the request only: a response may stream for as long as it likes
 * (SSE), and an upgraded connection (WebSocket) has left the HTTP parser, so neither is
 * cut off by it.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/**
 * How long an idle keep-alive connection stays open. It must outlast the idle timeout of
 * whoever reuses connections to us, or we close one just as they send a request on it
 * (a reset, a 502): the queue-proxy uses Go's default transport, 90 s idle (knative/pkg
 * network/transports.go), and load balancers commonly 60 s. Node's own 5 s is too short
 * for both. A drain closes idle connections at once, so this does not delay a shutdown.
 */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 95_000
/**
 * How often Node checks the header and request timeouts (its default, 30 s, would let a
 * 10 s timeout fire after 40).
 */
export const DEFAULT_TIMEOUT_CHECK_INTERVAL_MS = 1_000
/** Node's default, pinned so that NODE_OPTIONS=--max-http-header-size cannot change it. */
export const MAX_HEADER_BYTES = 16 * 1024

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
  /** Receiving the request headers; default DEFAULT_HEADERS_TIMEOUT_MS (10 s). → 408. */
  headersTimeoutMs?: number
  /** Receiving the whole request; default DEFAULT_REQUEST_TIMEOUT_MS (30 s). → 408. */
  requestTimeoutMs?: number
  /** An idle keep-alive connection; default DEFAULT_KEEP_ALIVE_TIMEOUT_MS (95 s). */
  keepAliveTimeoutMs?: number
  /** How often the two request timeouts are checked; default 1 s. */
  timeoutCheckIntervalMs?: number
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
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const server = createAdaptorServer({
    fetch: app.fetch as (request: Request, env: unknown) => Response | Promise<Response>,
    createServer,
    serverOptions: {
      requestTimeout,
      // Node refuses a headers timeout longer than a (non-zero) request timeout.
      headersTimeout:
        options.headersTimeoutMs ??
        (requestTimeout > 0
          ? Math.min(DEFAULT_HEADERS_TIMEOUT_MS, requestTimeout)
          : DEFAULT_HEADERS_TIMEOUT_MS),
      keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval:
        options.timeoutCheckIntervalMs ?? DEFAULT_TIMEOUT_CHECK_INTERVAL_MS,
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    ...(options.websocket ? { websocket: options.websocket } : {}),
  }) as Server
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
    answerClientError(error, socket, log),
  )

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
    // Stop accepting; the callback runs once every connection has ended. net.Server's
    // close(), not http.Server's: that one also stops Node's header and request timeout
    // checks (it clears their interval), and a client stalled halfway through a request
    // would then hold the drain until its deadline. The idle keep-alive connections,
    // which http.Server's close() would end, are closed just below.
    const closed = new Promise<void>((resolve) =>
      NetServer.prototype.close.call(server, () => resolve()),
    )
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

/**
 * Node's parse and timeout errors → catalog codes. Anything else the parser refuses is
 * 400 VALIDATION_FAILED (API.md's catalog has no code for malformed HTTP).
 */
const CLIENT_ERRORS: Record<string, ErrorCode> = {
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  // Node answers this one 413 itself: a chunked body's extensions over its limit.
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'PAYLOAD_TOO_LARGE',
}

/** Sockets answered already, until they close. */
const answered = new WeakSet<Socket>()

/**
 * The server's `clientError`: no request or response object exists, so the answer is
 * written to the socket by hand, a complete HTTP/1.1 response that closes the
 * connection. Nothing is written when the socket cannot take it or a response has
 * started on it already (its bytes would corrupt that one): the socket is destroyed.
 * The raw request (`error.rawPacket`) is neither echoed nor logged.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket, log: Logger): void {
  // Answered and closing: the rest of what the client sends fails to parse again.
  if (answered.has(socket)) return
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy()
    return
  }
  answered.add(socket)
  const code = CLIENT_ERRORS[error.code ?? '']
  const apiError = code
    ? new ApiError(code)
    : new ApiError('VALIDATION_FAILED', { detail: 'The request is not valid HTTP/1.1.' })
  const requestId = randomUUID()
  const body = JSON.stringify(toProblem(apiError, requestId))
  log.debug({ code: apiError.code, status: apiError.status, request_id: requestId }, 'client error')
  const head = [
    `HTTP/1.1 ${apiError.status} ${STATUS_CODES[apiError.status]}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    `X-Request-Id: ${requestId}`,
    `Date: ${new Date().toUTCString()}`,
  ].join('\r\n')
  // end(): the answer goes out before the FIN; then nothing is left to wait for. A peer
  // that does not read it gets a second to, not a socket held open.
  const timer = setTimeout(() => socket.destroy(), 1_000).unref()
  socket.end(`${head}\r\n\r\n${body}`, () => {
    clearTimeout(timer)
    socket.destroy()
  })
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
