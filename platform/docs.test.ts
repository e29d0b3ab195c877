import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ERROR_CATALOG, type ErrorCode, problemType } from '#shared/http/errors.ts'
import { createApp } from '#shared/http/platform.ts'
import { createLogger } from '#shared/log.ts'
import { cspDirectives, launchChromium, recordPage } from '#test/harness/browser.ts'
import { registerDocs } from './docs.ts'
import { apiDocumentYaml } from './openapi.ts'

/**
 * /docs: Swagger UI on the real OpenAPI document, driven in headless Chromium against a
 * real server (every asset must come from that server, nothing may fail or log an error),
 * and the routes around it through app.request().
 */

const yaml = apiDocumentYaml()
const app = createApp({ log: createLogger('docs-test', { destination: { write: () => {} } }) })
registerDocs(app, yaml)

/** The `?v=` URLs of the assets a page links to (stylesheets, icons, scripts). */
const linkedAssets = (html: string) =>
  [...html.matchAll(/(?:href|src)="(\/docs\/assets\/[^"]+)"/g)].map((m) => m[1] as string)

describe('GET /docs/errors', () => {
  test('has one anchor per catalog code, the one its problem type points to', async () => {
    const res = await app.request('/docs/errors')
    const html = await res.text()
    expect(res.status, html).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/)
    const rows = [...html.matchAll(/<tr id="([^"]+)">(.*?)<\/tr>/g)]
    const codes = Object.keys(ERROR_CATALOG) as ErrorCode[]
    expect(
      rows.map((row) => row[1]),
      html,
    ).toEqual(codes.map((code) => problemType(code).split('#')[1]))
    expect(problemType('ORG_NOT_FOUND')).toBe('/docs/errors#org-not-found')
    for (const [index, code] of codes.entries()) {
      const row = rows[index]?.[2] ?? ''
      expect(row, code).toContain(`<code>${code}</code>`)
      expect(row, code).toContain(`<td>${ERROR_CATALOG[code].status}</td>`)
      expect(row, code).toContain(ERROR_CATALOG[code].title)
    }
  })

  test('allows no script at all', async () => {
    const res = await app.request('/docs/errors')
    const csp = cspDirectives(res.headers.get('Content-Security-Policy'))
    expect(csp.get('default-src'), String(res.headers.get('Content-Security-Policy'))).toEqual([
      "'none'",
    ])
    expect(csp.has('script-src')).toBe(false)
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(await res.text()).not.toMatch(/<script|style=/i)
  })
})

describe('GET /docs/openapi.yaml', () => {
  test('serves the document as YAML', async () => {
    const res = await app.request('/docs/openapi.yaml')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('application/yaml; charset=utf-8')
    expect(await res.text()).toBe(yaml)
  })
})

describe('GET /docs', () => {
  test('is a page without inline scripts, under a strict CSP', async () => {
    const res = await app.request('/docs')
    const html = await res.text()
    expect(res.status, html).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-cache')
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    const header = String(res.headers.get('Content-Security-Policy'))
    const csp = cspDirectives(header)
    expect(csp.get('default-src'), header).toEqual(["'none'"])
    expect(csp.get('script-src'), header).toEqual(["'self'"])
    expect(csp.get('style-src'), header).toEqual(["'self'"])
    expect(csp.get('connect-src'), header).toEqual(["'self'"])
    expect(csp.get('img-src'), header).toEqual(["'self'", 'data:'])
    expect(csp.get('frame-ancestors'), header).toEqual(["'none'"])
    expect(header).not.toMatch(/unsafe|\*|https?:/)
    // Every script is a file of ours: none inline, none from elsewhere.
    const scripts = [...html.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)]
    expect(scripts.length, html).toBe(2)
    for (const [, attributes, content] of scripts) {
      expect(attributes, html).toMatch(/ src="\/docs\/assets\//)
      expect(content, html).toBe('')
    }
    expect(html).not.toMatch(/https?:\/\//)
  })

  test('links assets that are served, cacheable for good under their hash', async () => {
    const html = await (await app.request('/docs')).text()
    const urls = linkedAssets(html)
    expect(urls.map((url) => url.replace(/\?.*/, '')).sort(), html).toEqual([
      '/docs/assets/docs.css',
      '/docs/assets/favicon-16x16.png',
      '/docs/assets/favicon-32x32.png',
      '/docs/assets/init.js',
      '/docs/assets/swagger-ui-bundle.js',
      '/docs/assets/swagger-ui.css',
    ])
    const types = { js: /^text\/javascript/, css: /^text\/css/, png: /^image\/png$/ }
    for (const url of urls) {
      const res = await app.request(url)
      const ext = url.replace(/\?.*/, '').split('.').pop() as keyof typeof types
      expect(res.status, url).toBe(200)
      expect(res.headers.get('Content-Type'), url).toMatch(types[ext])
      expect(res.headers.get('Cache-Control'), url).toBe('public, max-age=31536000, immutable')
      expect(res.headers.get('X-Content-Type-Options'), url).toBe('nosniff')
      expect((await res.arrayBuffer()).byteLength, url).toBeGreaterThan(100)
    }
  })

  test('revalidates an asset asked for without its current hash', async () => {
    const stale = await app.request('/docs/assets/init.js?v=0000000000000000')
    expect(stale.status).toBe(200)
    expect(stale.headers.get('Cache-Control')).toBe('no-cache')
    const etag = stale.headers.get('ETag') ?? ''
    expect(etag).toMatch(/^"[0-9a-f]{16}"$/)
    const again = await app.request('/docs/assets/init.js', { headers: { 'If-None-Match': etag } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
    const changed = await app.request('/docs/assets/init.js', {
      headers: { 'If-None-Match': '"0000000000000000"' },
    })
    expect(changed.status).toBe(200)
  })

  test.each([
    'package.json',
    'index.html',
    'swagger-initializer.js',
    '..%2Fdocs.ts',
    'constructor',
  ])('serves nothing else from the package or the repository: %s', async (name) => {
    const res = await app.request(`/docs/assets/${name}`)
    expect(res.status, await res.text()).toBe(404)
  })
})

describe('GET /docs in Chromium', () => {
  let server: ServerType | undefined
  let browser: Browser | undefined
  let origin = ''

  beforeAll(async () => {
    server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(started),
      )
    })
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise<void>((resolve, reject) =>
      server ? server.close((error) => (error ? reject(error) : resolve())) : resolve(),
    )
  })

  async function openPage() {
    const page = (await browser?.newPage()) as Page
    return { page, seen: await recordPage(page) }
  }

  test('renders the whole reference from this server alone', async () => {
    const { page, seen } = await openPage()
    try {
      await page.goto(`${origin}/docs`)
      const title = page.locator('.information-container .info .title')
      await title.waitFor()
      expect(await title.textContent()).toContain('Tenantry API')

      const operation = page.locator('.opblock-post').filter({
        has: page.locator('.opblock-summary-path[data-path="/v1/orgs/{orgId}/projects"]'),
      })
      expect(await operation.count()).toBe(1)
      await operation.locator('.opblock-summary-control').click()

      const orgId = operation.locator('tr[data-param-name="orgId"][data-param-in="path"]')
      await orgId.waitFor()
      expect(await orgId.locator('.parameter__name.required').textContent()).toContain('orgId')
      const key = operation.locator('tr[data-param-name="Idempotency-Key"][data-param-in="header"]')
      expect(await key.textContent()).toContain('maxLength: 255')

      const body = operation.locator('.opblock-section-request-body')
      await body.locator('button[data-name="model"]').click()
      const fields = body.locator('.json-schema-2020-12-property')
      await fields.first().waitFor()
      const fieldTexts = await fields.allTextContents()
      expect(fieldTexts.length, fieldTexts.join('\n')).toBe(2)
      expect(fieldTexts[0], fieldTexts.join('\n')).toMatch(/^name.*string.*\[1, 100\] characters/)
      expect(fieldTexts[1], fieldTexts.join('\n')).toMatch(/^description.*≤ 1000 characters/)

      const codes = await operation
        .locator('tr.response')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-code')))
      expect(codes).toEqual(expect.arrayContaining(['201', '400', '404', '409', '413', '415']))
      const conflict = await operation.locator('tr.response[data-code="409"]').textContent()
      expect(conflict).toContain('PROJECT_NAME_TAKEN')

      await page.waitForLoadState('networkidle')
      const report = JSON.stringify(seen, null, 2)
      // data: URLs (the icons in swagger-ui.css) never leave the page.
      const elsewhere = seen.requests.filter(
        (url) => !url.startsWith('data:') && new URL(url).origin !== origin,
      )
      expect(elsewhere, report).toEqual([])
      expect(seen.failed, report).toEqual([])
      expect(seen.errorResponses, report).toEqual([])
      expect(seen.consoleErrors, report).toEqual([])
      expect(seen.pageErrors, report).toEqual([])
      for (const path of [
        '/docs/assets/swagger-ui-bundle.js',
        '/docs/assets/swagger-ui.css',
        '/docs/assets/init.js',
        '/docs/openapi.yaml',
      ]) {
        expect(
          seen.okResponses.some((line) => line.startsWith(`200 GET ${origin}${path}`)),
          `${path}\n${report}`,
        ).toBe(true)
      }
    } finally {
      await page.close()
    }
  })

  test('the CSP holds: no inline script runs, nothing is fetched from elsewhere', async () => {
    const { page, seen } = await openPage()
    try {
      await page.goto(`${origin}/docs`)
      await page.locator('.information-container .info .title').waitFor()
      const reported = (directive: string) =>
        page.waitForEvent('console', {
          predicate: (message) => message.text().startsWith(`CSP violation: ${directive}`),
        })

      const inlineReported = reported('script-src')
      const ran = await page.evaluate(`(() => {
        const script = document.createElement('script')
        script.textContent = 'document.body.dataset.inline = "ran"'
        document.head.append(script)
        return document.body.dataset.inline === 'ran'
      })()`)
      expect(ran).toBe(false)
      await inlineReported

      // Another origin: a port of this host that nothing listens on.
      const elsewhere = `http://127.0.0.1:1/`
      const connectReported = reported('connect-src')
      const fetched = await page.evaluate(
        (url) =>
          fetch(url).then(
            () => 'fetched',
            () => 'refused',
          ),
        elsewhere,
      )
      expect(fetched).toBe('refused')
      await connectReported
      expect(seen.pageErrors).toEqual([])
    } finally {
      await page.close()
    }
  })
})
