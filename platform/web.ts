import { readFile } from 'node:fs/promises'
import type { Hono } from 'hono'
import type { AppEnv } from '#shared/http/app-env.ts'
import { assetTable, lazy, serveAssets } from './assets.ts'

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
  serveAssets(app, ASSETS_PATH, ASSETS)
}

const ASSETS_PATH = '/web'

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

const FILES = new URL('./web/', import.meta.url)

const ASSETS = assetTable(
  Object.fromEntries(
    Object.entries(ASSET_FILES).map(([name, type]) => [
      name,
      { url: () => new URL(name, FILES), type },
    ]),
  ),
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
