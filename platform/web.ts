import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Hono } from 'hono'
import type { AppEnv } from '#shared/http/app-env.ts'

/**
 * The chat page, served by the process itself (platform/web/, no build step, nothing
 * from elsewhere):
 *
 *   GET /                  index.html, its asset links carrying `?v=<hash>`
 *   GET /web/<file>        app.js (the one module script) and style.css
 *
 * As with /docs (platform/docs.ts), files are read and hashed on the first request that
 * needs them, an asset asked for with its current hash is cacheable for a year, and
 * otherwise it is `no-cache` with an ETag. The page itself is `no-cache`: a new release
 * is picked up on the next load.
 */
export function registerWeb(app: Hono<AppEnv>): void {
  const page = lazy(renderIndex)
  app.get('/', async (c) =>
    c.html(await page(), 200, {
      'Cache-Control': 'no-cache',
      // The Host the browser used; a request without one (app.request() in tests) has its URL's.
      'Content-Security-Policy': pageCsp(c.req.header('Host') ?? new URL(c.req.url).host),
      'X-Content-Type-Options': 'nosniff',
      // Nothing of the page's URLs is anyone else's business.
      'Referrer-Policy': 'no-referrer',
    }),
  )
  app.get(`${ASSETS_PATH}/:file`, async (c) => {
    const load = ASSETS.get(c.req.param('file'))
    if (!load) return c.notFound()
    const asset = await load()
    const headers = {
      'Content-Type': asset.type,
      'Cache-Control': c.req.query('v') === asset.version ? IMMUTABLE : 'no-cache',
      ETag: asset.etag,
      'X-Content-Type-Options': 'nosniff',
    }
    return matches(c.req.header('If-None-Match'), asset.etag)
      ? c.body(null, 304, headers)
      : c.body(asset.body, 200, headers)
  })
}

const ASSETS_PATH = '/web'
const IMMUTABLE = 'public, max-age=31536000, immutable'

/**
 * Only files of this origin; no inline script or style, no eval. Trusted Types are
 * required with no policy allowed, so that an HTML sink (innerHTML and the like) cannot
 * take a string at all: the page builds its DOM with textContent only, and the browser
 * holds it to that.
 *
 * connect-src names the page's own WebSocket origin besides 'self': CSP Level 3 lets
 * 'self' cover ws:/wss: of the same host, but not every browser in use implements it.
 * The origin is the request's Host (the one the browser used), both schemes, since TLS
 * may end at a proxy in front of this process; a Host that is not a plain host[:port]
 * gets no WebSocket source rather than a header built from it.
 */
export function pageCsp(host: string | undefined): string {
  const ws = host !== undefined && HOST.test(host) ? [`ws://${host}`, `wss://${host}`] : []
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    ["connect-src 'self'", ...ws].join(' '),
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** A DNS name, an IPv4 address or a bracketed IPv6 address, with an optional port. */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'

/** Every file /web/ serves; any other name is 404. */
const ASSET_FILES: Record<string, string> = {
  'app.js': JS,
  'style.css': CSS,
  'icon.svg': 'image/svg+xml',
}

interface Asset {
  body: Uint8Array<ArrayBuffer>
  type: string
  /** The first 16 hex digits of the content's SHA-256: the `?v=` that makes it immutable. */
  version: string
  etag: string
}

const FILES = new URL('./web/', import.meta.url)

const ASSETS = new Map(
  Object.entries(ASSET_FILES).map(([name, type]) => [
    name,
    lazy(async (): Promise<Asset> => {
      const body = await readFile(new URL(name, FILES))
      const version = createHash('sha256').update(body).digest('hex').slice(0, 16)
      return { body, type, version, etag: `"${version}"` }
    }),
  ]),
)

/**
 * index.html with each `/web/<file>` it links to versioned. A link to a file the list
 * does not serve is an error here, not a 404 in the browser.
 */
async function renderIndex(): Promise<string> {
  const html = await readFile(new URL('index.html', FILES), 'utf8')
  const links = [...html.matchAll(/(?:src|href)="\/web\/([^"?]+)"/g)].map((m) => m[1] as string)
  const versions = new Map<string, string>()
  for (const name of new Set(links)) {
    const load = ASSETS.get(name)
    if (!load) throw new Error(`platform/web/index.html links to ${name}, which is not served`)
    versions.set(name, (await load()).version)
  }
  return html.replace(
    /((?:src|href)="\/web\/)([^"?]+)"/g,
    (_, prefix: string, name: string) => `${prefix}${name}?v=${versions.get(name)}"`,
  )
}

/** Whether an If-None-Match header names this entity tag (weakly, as RFC 9110 asks for GET). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag)
}

/** Runs `load` once, on the first call; a failure is not kept, the next call tries again. */
function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined
  return () => {
    value ??= load().catch((error: unknown) => {
      value = undefined
      throw error
    })
    return value
  }
}
