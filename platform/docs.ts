import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import type { Hono } from 'hono'
import { parse } from 'yaml'
import type { AppEnv } from '#shared/http/app-env.ts'
import { ERROR_CATALOG, type ErrorCode, problemType } from '#shared/http/errors.ts'
import { type Asset, assetTable, lazy, serveAssets } from './assets.ts'

/**
 * The API reference, served by the process itself (nothing from elsewhere):
 *
 *   GET /docs                Swagger UI on the OpenAPI document: every operation with its
 *                            parameters, headers, bodies, fields, limits and responses
 *   GET /docs/assets/<file>  its files: Swagger UI's from the swagger-ui-dist package, ours
 *                            from platform/docs-assets/ (init.js starts it, so that the page
 *                            needs no inline script)
 *   GET /docs/openapi.yaml   the document itself, for tools and for Swagger UI
 *   GET /docs/errors         the error catalog, one anchor per code: problem `type`s are
 *                            `/docs/errors#<code>` (problemType() in shared/http/errors.ts)
 *
 * Nothing is read or rendered at registration: the files are read, hashed and kept on the
 * first request that needs them (a cold start pays nothing for the docs). The pages link
 * to `<file>?v=<hash>`, and an asset asked for with its current hash is cacheable for a
 * year; without it, it is `no-cache` with an ETag. The pages and the document are `no-cache`.
 */
export function registerDocs(app: Hono<AppEnv>, yaml: string): void {
  const reference = lazy(async () =>
    renderReference(titleOf(yaml), await assetUrls(REFERENCE_ASSETS)),
  )
  const errors = lazy(async () => renderErrors(await assetUrls(ERRORS_ASSETS)))

  app.get('/docs', async (c) => c.html(await reference(), 200, pageHeaders(REFERENCE_CSP)))
  app.get('/docs/errors', async (c) => c.html(await errors(), 200, pageHeaders(ERRORS_CSP)))
  app.get('/docs/openapi.yaml', (c) =>
    c.body(yaml, 200, {
      'Content-Type': 'application/yaml; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    }),
  )
  serveAssets(app, ASSETS_PATH, ASSETS)
}

const ASSETS_PATH = '/docs/assets'

/**
 * Swagger UI needs nothing but its own files, the document and `data:` images (the icons
 * in its CSS): no inline script, no eval, no inline `<style>` (its React components set
 * styles through the DOM, which style-src does not govern). connect-src is for the
 * document and "Try it out", whose server is this origin.
 */
const REFERENCE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')
const ERRORS_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const pageHeaders = (csp: string) => ({
  'Cache-Control': 'no-cache',
  'Content-Security-Policy': csp,
  'X-Content-Type-Options': 'nosniff',
})

const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'
const PNG = 'image/png'

/** Every file /docs/assets/ serves; any other name is 404. */
const ASSET_FILES: Record<string, { package: boolean; type: string }> = {
  'swagger-ui-bundle.js': { package: true, type: JS },
  'swagger-ui.css': { package: true, type: CSS },
  // Named by swagger-ui.css; fetched only by developer tools.
  'swagger-ui.css.map': { package: true, type: 'application/json; charset=utf-8' },
  'favicon-32x32.png': { package: true, type: PNG },
  'favicon-16x16.png': { package: true, type: PNG },
  'init.js': { package: false, type: JS },
  'docs.css': { package: false, type: CSS },
}
/** Favicon → its `sizes`. */
const FAVICONS = { 'favicon-32x32.png': '32x32', 'favicon-16x16.png': '16x16' }
const REFERENCE_ASSETS = [
  'swagger-ui.css',
  'docs.css',
  'swagger-ui-bundle.js',
  'init.js',
  ...Object.keys(FAVICONS),
]
const ERRORS_ASSETS = ['docs.css', ...Object.keys(FAVICONS)]

const OWN_ASSETS = new URL('./docs-assets/', import.meta.url)
/** The swagger-ui-dist package's directory, as Node resolves it from here. */
const swaggerUiDist = () =>
  pathToFileURL(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))

const ASSETS = assetTable(
  Object.fromEntries(
    Object.entries(ASSET_FILES).map(([name, file]) => [
      name,
      { url: () => new URL(name, file.package ? swaggerUiDist() : OWN_ASSETS), type: file.type },
    ]),
  ),
)

/** `/docs/assets/<name>?v=<hash>` for each name. */
async function assetUrls(names: readonly string[]): Promise<Record<string, string>> {
  const entries = await Promise.all(
    names.map(async (name) => {
      const asset = await (ASSETS.get(name) as () => Promise<Asset>)()
      return [name, `${ASSETS_PATH}/${name}?v=${asset.version}`] as const
    }),
  )
  return Object.fromEntries(entries)
}

function titleOf(yaml: string): string {
  const doc = parse(yaml) as { info?: { title?: unknown } } | null
  return typeof doc?.info?.title === 'string' ? doc.info.title : 'API'
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

function head(title: string, urls: Record<string, string>, styles: readonly string[]): string {
  const links = [
    ...styles.map((name) => `<link rel="stylesheet" href="${escapeHtml(urls[name] ?? '')}">`),
    ...Object.entries(FAVICONS).map(
      ([name, sizes]) =>
        `<link rel="icon" type="image/png" sizes="${sizes}" href="${escapeHtml(urls[name] ?? '')}">`,
    ),
  ]
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
${links.join('\n')}`
}

const NAV = `<nav class="docs-nav"><a href="/docs">API reference</a><a href="/docs/errors">Error codes</a><a href="/docs/openapi.yaml">openapi.yaml</a></nav>`

function renderReference(title: string, urls: Record<string, string>): string {
  const scripts = ['swagger-ui-bundle.js', 'init.js']
    .map((name) => `<script defer src="${escapeHtml(urls[name] ?? '')}"></script>`)
    .join('\n')
  return `${head(`${title} reference`, urls, ['swagger-ui.css', 'docs.css'])}
${scripts}
</head>
<body>
${NAV}
<main id="swagger-ui"></main>
<noscript><p class="docs-page">The interactive reference needs JavaScript. The document itself is <a href="/docs/openapi.yaml">openapi.yaml</a>; the error codes are listed at <a href="/docs/errors">/docs/errors</a>.</p></noscript>
</body>
</html>
`
}

function renderErrors(urls: Record<string, string>): string {
  const rows = (Object.keys(ERROR_CATALOG) as ErrorCode[]).map((code) => {
    const { status, title } = ERROR_CATALOG[code]
    // The anchor is taken from the problem type itself, so the two cannot disagree.
    const type = problemType(code)
    const id = escapeHtml(type.slice(type.indexOf('#') + 1))
    return `<tr id="${id}"><td><a href="#${id}"><code>${escapeHtml(code)}</code></a></td><td>${status}</td><td>${escapeHtml(title)}</td></tr>`
  })
  return `${head('Error codes', urls, ['docs.css'])}
</head>
<body>
${NAV}
<main class="docs-page">
<h1>Error codes</h1>
<p>Every error response is <code>application/problem+json</code> (RFC 9457) with a stable <code>code</code> from this catalog and a <code>request_id</code>. Its <code>type</code> links to the code's row here, e.g. <code>${escapeHtml(problemType('ORG_NOT_FOUND'))}</code>. Which codes an operation can answer is listed with its responses in the <a href="/docs">API reference</a>.</p>
<table>
<thead><tr><th>code</th><th>status</th><th>title</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</main>
</body>
</html>
`
}
