import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { AppEnv } from './app-env.ts'

/** The methods API.md's routes use; GET, HEAD and POST are safelisted anyway. */
export const CORS_ALLOW_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/** Request headers API.md's clients send that are not CORS-safelisted. */
export const CORS_ALLOW_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'If-Match',
  'X-Request-Id',
  'Last-Event-ID',
] as const

/** Response headers API.md's clients must be able to read from a page. */
export const CORS_EXPOSE_HEADERS = [
  'X-Request-Id',
  'RateLimit',
  'RateLimit-Policy',
  'Retry-After',
  'ETag',
  'Location',
  'Idempotent-Replayed',
  'WWW-Authenticate',
] as const

/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE_SECONDS = 600

/**
 * The allowed origins from a comma-separated list (`CORS_ALLOWED_ORIGINS`): each entry an
 * http(s) origin exactly as browsers send it in `Origin` (`scheme://host[:port]`, lower
 * case, no default port, no path or trailing slash), or `*` alone for any origin.
 * Unset or blank means none. Throws an Error naming the first bad entry.
 */
export function parseCorsOrigins(text: string | undefined): string[] {
  const entries = (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  for (const entry of entries) checkCorsOrigin(entry, entries.length)
  return [...new Set(entries)]
}

/**
 * hono/cors for the given origins (see parseCorsOrigins), or undefined for none: then no
 * CORS header is ever sent. Credentials are never allowed; the API takes bearer tokens.
 *
 * What hono/cors does, which createApp relies on: it sets Access-Control-Allow-Origin
 * (only for an allowed origin) and Access-Control-Expose-Headers on `c.res` *before*
 * calling next, so a response built later (a handler's, notFound's or onError's
 * problem+json) carries them; it appends `Vary: Origin` after next unless the origin is
 * `*`. It answers every OPTIONS request itself, 204 without calling next, so no route or
 * auth middleware runs; a disallowed origin gets the same 204 without
 * Access-Control-Allow-Origin, which the browser treats as a refusal.
 */
export function corsMiddleware(origins: readonly string[]): MiddlewareHandler<AppEnv> | undefined {
  for (const origin of origins) checkCorsOrigin(origin, origins.length)
  if (origins.length === 0) return undefined
  return cors({
    // The string '*' (not ['*']) is what makes hono answer `*` for any origin.
    origin: origins[0] === '*' ? '*' : [...origins],
    allowMethods: [...CORS_ALLOW_METHODS],
    allowHeaders: [...CORS_ALLOW_HEADERS],
    exposeHeaders: [...CORS_EXPOSE_HEADERS],
    maxAge: CORS_MAX_AGE_SECONDS,
    credentials: false,
  })
}

function checkCorsOrigin(entry: string, count: number): void {
  if (entry === '*') {
    if (count > 1) throw new Error(`CORS origin '*' means any origin and must be the only entry`)
    return
  }
  // The URL parser takes 'https://*.example' as a literal host that never matches.
  if (entry.includes('*')) {
    throw new Error(`CORS origin '${entry}': only '*' alone is a wildcard, not part of an origin`)
  }
  let url: URL
  try {
    url = new URL(entry)
  } catch {
    throw new Error(`CORS origin '${entry}' is not an origin: expected scheme://host[:port] or *`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`CORS origin '${entry}' must use http or https`)
  }
  if (url.origin !== entry) {
    // Path, query, fragment, credentials, trailing slash, upper case or a default port:
    // a browser's Origin header would never match it exactly.
    throw new Error(
      `CORS origin '${entry}' is not an origin as browsers send it (scheme://host[:port], ` +
        `no path or trailing slash); did you mean '${url.origin}'?`,
    )
  }
}
