import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { methodNotAllowed } from 'hono/method-not-allowed'
import { routePath } from 'hono/route'
import type { Registry } from 'prom-client'
import { isConnectionError } from '#shared/db/client.ts'
import { flatRedactionChild, type Logger } from '#shared/log.ts'
import { activeTracer } from '#shared/telemetry/tracing.ts'
import type { AppEnv } from './app-env.ts'
import { corsMiddleware } from './cors.ts'
import { ApiError, toProblem } from './errors.ts'
import { httpMetrics } from './metrics.ts'
import { requestId } from './request-id.ts'
import { traceRequests } from './tracing.ts'

export const DEFAULT_BODY_LIMIT = 64 * 1024
/** What a 503 for an unreachable database asks clients to wait. */
export const DATABASE_RETRY_AFTER_SECONDS = 2

export interface PlatformOptions {
  log: Logger
  /** Where request counts and latencies go; see metrics.ts. */
  metrics?: Registry
  /** Bytes; 64 KiB unless a function says otherwise. */
  bodyLimit?: number
  /**
   * Origins allowed to call the API from a browser (exact `scheme://host[:port]`, or `*`
   * alone for any; see parseCorsOrigins). None by default: no CORS headers at all.
   */
  corsOrigins?: readonly string[]
}

/**
 * A function's Hono app with API.md's common rules in place: request ids, the body
 * limit (413 before anything parses), problem+json for every error (404 for unknown
 * routes, 405 with Allow for a known route and another method, a generic 500 for
 * anything unexpected), and CORS for the configured origins (a preflight answered 204
 * before any route or auth runs). Routes are registered on the returned app.
 */
export function createApp(options: PlatformOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  // Validated before anything is mounted: a bad list fails at boot, not per request.
  const cors = corsMiddleware(options.corsOrigins ?? [])
  // First, so that the span covers the whole request; only when tracing is on.
  const tracer = activeTracer()
  if (tracer) app.use(traceRequests(tracer))
  // Early, so that it sees the final status: 405 from methodNotAllowed, 413 from bodyLimit.
  if (options.metrics) app.use(httpMetrics(options.metrics))
  app.use(requestId())
  const accessLog = flatRedactionChild(options.log)
  app.use(async (c, next) => {
    const request_id = c.get('requestId')
    c.set('log', options.log.child({ request_id }))
    const started = performance.now()
    await next()
    // The canonical log line: one per request, ids and numbers only; no headers,
    // bodies, tokens or query strings, which may carry secrets.
    const principal = c.get('principal')
    accessLog.info(
      {
        request_id,
        method: c.req.method,
        route: routePath(c),
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
        user_id: principal?.kind === 'user' ? principal.userId : undefined,
        client_id: principal?.kind === 'client' ? principal.clientId : undefined,
        // With tracing on, the line names its trace: from a log line to its spans.
        trace_id: tracer?.traceId(),
      },
      'request',
    )
  })
  // After request ids and the log line, so that a preflight has both; before
  // methodNotAllowed (which would answer OPTIONS 405) and the routes' own auth, so that
  // a preflight needs no token and every response, problem+json included, gets the headers.
  if (cors) app.use(cors)
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (_c, methods) => {
        throw new ApiError('METHOD_NOT_ALLOWED', { headers: { Allow: methods.join(', ') } })
      },
    }),
  )
  const limitBody = bodyLimit({
    maxSize: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    onError: () => {
      throw new ApiError('PAYLOAD_TOO_LARGE', {
        detail: `The body may be at most ${options.bodyLimit ?? DEFAULT_BODY_LIMIT} bytes.`,
      })
    },
  })
  // A GET or HEAD request has no body in the Fetch API, so the limit would pass it
  // anyway; asking for it would make the Node adapter build a full Request (~25 µs).
  app.use((c, next) =>
    c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next),
  )
  // Returned, not thrown: methodNotAllowed turns a plain 404 into 405 when the path
  // exists under another method.
  app.notFound((c) => problemResponse(c, new ApiError('NOT_FOUND')))
  app.onError((error, c) => {
    if (error instanceof ApiError) return problemResponse(c, error)
    if (isConnectionError(error)) {
      // API.md: a dependency down is 503 UNAVAILABLE with Retry-After. Retrying is
      // safe: reads are, and every creating route takes an Idempotency-Key.
      c.get('log')?.warn({ err: error }, 'database unavailable')
      return problemResponse(
        c,
        new ApiError('UNAVAILABLE', {
          detail: 'The database is unavailable; retry shortly.',
          headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
        }),
      )
    }
    // The details go to the log only: no stack, SQL or internals in a response.
    c.get('log')?.error({ err: error }, 'unhandled error')
    return problemResponse(c, new ApiError('INTERNAL'))
  })
  return app
}

export function problemResponse(c: Context<AppEnv>, error: ApiError): Response {
  const body = toProblem(error, c.get('requestId') ?? '', c.req.path)
  return c.json(body, error.status, {
    ...error.headers,
    'Content-Type': 'application/problem+json; charset=utf-8',
  })
}
