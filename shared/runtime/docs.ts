import type { Hono } from 'hono'
import { parse } from 'yaml'
import type { AppEnv } from '#shared/http/app-env.ts'
import { ERROR_CATALOG } from '#shared/http/errors.ts'

/**
 * `GET /docs`: a plain, self-contained reference page rendered from the OpenAPI document
 * (no scripts, nothing fetched from elsewhere), and `GET /docs/openapi.yaml`, the document
 * itself for tools. `/docs/errors#<code>` anchors are what problem `type`s point to.
 */
export function registerDocs(app: Hono<AppEnv>, yaml: string): void {
  const page = render(parse(yaml) as Document)
  app.get('/docs', (c) => c.html(page))
  app.get('/docs/errors', (c) => c.html(page))
  app.get('/docs/openapi.yaml', (c) =>
    c.body(yaml, 200, { 'Content-Type': 'application/yaml; charset=utf-8' }),
  )
}

interface Operation {
  summary?: string
  responses?: Record<string, { description?: string }>
}
interface Document {
  info: { title: string; description?: string }
  paths: Record<string, Record<string, Operation>>
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

function render(doc: Document): string {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const responses = Object.entries(op.responses ?? {})
        .map(
          ([status, r]) =>
            `<li><code>${escapeHtml(status)}</code> ${escapeHtml(r.description ?? '')}</li>`,
        )
        .join('')
      return `<section><h3><code>${escapeHtml(method.toUpperCase())} ${escapeHtml(path)}</code></h3><p>${escapeHtml(op.summary ?? '')}</p><ul>${responses}</ul></section>`
    }),
  )
  const errors = Object.entries(ERROR_CATALOG)
    .map(
      ([code, { status, title }]) =>
        `<tr id="${code.toLowerCase().replaceAll('_', '-')}"><td><code>${code}</code></td><td>${status}</td><td>${escapeHtml(title)}</td></tr>`,
    )
    .join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}section{border-top:1px solid #ddd}</style>
</head><body><h1>${escapeHtml(doc.info.title)}</h1><p>${escapeHtml(doc.info.description ?? '')}</p>
<p>Machine-readable: <a href="/docs/openapi.yaml">openapi.yaml</a> (OpenAPI 3.1).</p>
<h2>Operations</h2>${operations.join('')}
<h2 id="errors">Errors</h2><table><tr><th>code</th><th>status</th><th>title</th></tr>${errors}</table></body></html>`
}
