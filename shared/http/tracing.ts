import type { MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { TraceCarrier, Tracer } from '#shared/telemetry/tracing.ts'
import type { AppEnv } from './app-env.ts'

/**
 * A server span per request, named by method and route pattern (never the URL: ids in
 * paths would put tenant ids into every span's name). Its parent is the caller's
 * `traceparent`, unless a span is already current in this process: `npm start`'s gateway
 * routes in-process, and its span is the parent then (platform/embedded/start.ts).
 *
 * Installed first, so that the span covers everything the app does, 405s and 413s too;
 * only with tracing on (createApp), so that with it off requests pay nothing.
 */
export function traceRequests(tracer: Tracer): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    const method = c.req.method
    const inProcess = tracer.traceId() !== undefined
    return tracer.span(
      method,
      {
        kind: 'server',
        attributes: { 'http.request.method': method },
        ...(inProcess ? {} : { parent: requestParent((name) => c.req.header(name)) }),
      },
      async (span) => {
        await next()
        const route = routePath(c) || 'unknown'
        const status = c.res.status
        span.updateName(`${method} ${route}`)
        span.setAttribute('http.route', route)
        span.setAttribute('http.response.status_code', status)
        span.setAttribute('tenantry.request_id', c.get('requestId') ?? '')
        if (status >= 500) span.fail()
      },
    )
  }
}

/**
 * A request's remote parent from its headers; without `traceparent`, the root of a new
 * trace (never a child of whatever context the server's socket was opened in).
 */
export function requestParent(header: (name: string) => string | undefined): TraceCarrier | 'root' {
  const traceparent = header('traceparent')
  if (!traceparent) return 'root'
  const tracestate = header('tracestate')
  return tracestate ? { traceparent, tracestate } : { traceparent }
}
