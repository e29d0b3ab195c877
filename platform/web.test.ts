import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Browser, Page, WebSocketRoute } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createApp } from '#shared/http/platform.ts'
import { createLogger } from '#shared/log.ts'
import { cspDirectives, launchChromium, recordPage } from '#test/harness/browser.ts'
import { type NpmStart, startNpm, stopNpm, useDataDir } from '#test/harness/npm-start.ts'
import { pageCsp, registerWeb } from './web.ts'

/**
 * The chat page at `/`: its serving through app.request(), then the page itself in
 * headless Chromium against a real `npm start` on a fresh data directory — sign in, org,
 * project, chat, actions answered live, a dropped WebSocket resumed without losing or
 * repeating a reply, the chat limit, a chat closed elsewhere, and token refresh.
 */

/** For expect.poll: a reconnect waits out its backoff (up to seconds), not vitest's 1 s. */
const WAIT = { timeout: 10_000 }
const app = createApp({ log: createLogger('web-test', { destination: { write: () => {} } }) })
registerWeb(app)

describe('GET /', () => {
  test('is a page without inline script or style, under a strict CSP', async () => {
    const res = await app.request('/', { headers: { Host: 'chat.example.test:8080' } })
    const html = await res.text()
    expect(res.status, html).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/html; charset=UTF-8')
    expect(res.headers.get('Cache-Control')).toBe('no-cache')
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(res.headers.get('Referrer-Policy')).toBe('no-referrer')
    const header = String(res.headers.get('Content-Security-Policy'))
    const csp = cspDirectives(header)
    expect(csp.get('default-src'), header).toEqual(["'none'"])
    expect(csp.get('script-src'), header).toEqual(["'self'"])
    expect(csp.get('style-src'), header).toEqual(["'self'"])
    expect(csp.get('img-src'), header).toEqual(["'self'"])
    expect(csp.get('connect-src'), header).toEqual([
      "'self'",
      'ws://chat.example.test:8080',
      'wss://chat.example.test:8080',
    ])
    expect(csp.get('require-trusted-types-for'), header).toEqual(["'script'"])
    expect(csp.get('trusted-types'), header).toEqual(["'none'"])
    expect(csp.get('frame-ancestors'), header).toEqual(["'none'"])
    expect(csp.get('base-uri'), header).toEqual(["'none'"])
    expect(header).not.toMatch(/unsafe|\*|https?:/)
    // One module script, a file of ours; nothing inline, nothing from elsewhere.
    const scripts = [...html.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)]
    expect(scripts.length, html).toBe(1)
    expect(scripts[0]?.[1], html).toMatch(/^ type="module" src="\/web\/app\.js\?v=[0-9a-f]{16}"$/)
    expect(scripts[0]?.[2], html).toBe('')
    expect(html).not.toMatch(/<style|style=|\son[a-z]+=/i)
    expect(html).not.toMatch(/https?:\/\//)
  })

  test.each([
    ['a Host with a directive in it', "evil.test; script-src 'unsafe-inline'"],
    ['a Host with a path', 'evil.test/x'],
    ['a Host with spaces', 'a b'],
  ])('gives %s no WebSocket source, nothing built from it', (_name, host) => {
    const header = pageCsp(host)
    expect(cspDirectives(header).get('connect-src'), header).toEqual(["'self'"])
    expect(header).not.toContain('evil')
    expect(header).not.toContain('unsafe')
  })

  test('takes a bracketed IPv6 Host as it is', () => {
    expect(cspDirectives(pageCsp('[::1]:8080')).get('connect-src')).toEqual([
      "'self'",
      'ws://[::1]:8080',
      'wss://[::1]:8080',
    ])
  })

  test('links assets that are served, cacheable for good under their hash', async () => {
    const html = await (await app.request('/')).text()
    const urls = [...html.matchAll(/(?:href|src)="(\/web\/[^"]+)"/g)].map((m) => m[1] as string)
    expect(urls.map((url) => url.replace(/\?.*/, '')).sort(), html).toEqual([
      '/web/app.js',
      '/web/icon.svg',
      '/web/style.css',
    ])
    const types = { js: /^text\/javascript/, css: /^text\/css/, svg: /^image\/svg\+xml$/ }
    for (const url of urls) {
      const res = await app.request(url)
      const ext = url.replace(/\?.*/, '').split('.').pop() as keyof typeof types
      expect(res.status, url).toBe(200)
      expect(res.headers.get('Content-Type'), url).toMatch(types[ext])
      expect(res.headers.get('Cache-Control'), url).toBe('public, max-age=31536000, immutable')
      expect(res.headers.get('X-Content-Type-Options'), url).toBe('nosniff')
    }
  })

  test('revalidates an asset asked for without its current hash', async () => {
    const stale = await app.request('/web/app.js')
    expect(stale.status).toBe(200)
    expect(stale.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8')
    expect(stale.headers.get('Cache-Control')).toBe('no-cache')
    const etag = stale.headers.get('ETag') ?? ''
    expect(etag).toMatch(/^"[0-9a-f]{16}"$/)
    const again = await app.request('/web/app.js', { headers: { 'If-None-Match': etag } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
  })

  test.each(['index.html', '..%2Fweb.ts', 'constructor', 'app.ts'])(
    'serves nothing else: /web/%s',
    async (name) => {
      const res = await app.request(`/web/${name}`)
      expect(res.status, await res.text()).toBe(404)
    },
  )
})

describe('platform/web/app.js', () => {
  const file = fileURLToPath(new URL('./web/app.js', import.meta.url))

  test('builds its DOM without HTML sinks or eval', async () => {
    const source = await readFile(file, 'utf8')
    expect(source).not.toMatch(
      /\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(/,
    )
    expect(source).not.toMatch(/https?:\/\//)
  })

  // The project's tsconfig has no DOM and no JS: the page's script is checked on its own.
  test('typechecks against the DOM, strictly', async () => {
    const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url))
    const args = [
      '--ignoreConfig',
      '--noEmit',
      '--allowJs',
      '--checkJs',
      '--strict',
      '--lib',
      'es2024,dom,dom.iterable',
      '--target',
      'es2024',
      '--module',
      'esnext',
      '--moduleResolution',
      'bundler',
      '--types',
      '',
      file,
    ]
    const result = await promisify(execFile)(process.execPath, [tsc, ...args]).then(
      () => '',
      (error: { stdout?: string; stderr?: string }) => `${error.stdout}${error.stderr}`,
    )
    expect(result).toBe('')
  })
})

describe('the page in Chromium, on npm start', () => {
  const dataDir = useDataDir()
  let running: NpmStart | undefined
  let browser: Browser | undefined
  let origin = ''

  beforeAll(async () => {
    running = await startNpm({ dataDir: dataDir(), timeoutMs: 110_000 })
    origin = running.url
    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    if (running) await stopNpm(running)
  }, 30_000)

  /**
   * A page in a context of its own (its own sessionStorage: a new guest) that records
   * every request, failure, error response, console error and CSP report, and the
   * status line's every state. (Scripts that run in the page are strings: the project's
   * types have no DOM.)
   */
  async function openPage() {
    const context = await (browser as Browser).newContext()
    const page = await context.newPage()
    const seen = await recordPage(page)
    await page.addInitScript(`
      window.__statuses = []
      document.addEventListener('DOMContentLoaded', () => {
        const status = document.getElementById('status')
        new MutationObserver(() => window.__statuses.push(status.dataset.state + ': ' + status.textContent))
          .observe(status, { childList: true, characterData: true, subtree: true, attributes: true })
      })`)
    const close = () => context.close()
    return { page, seen, close }
  }

  const statuses = (page: Page) => page.evaluate('window.__statuses') as Promise<string[]>
  const accessToken = (page: Page) =>
    page.evaluate(
      "JSON.parse(sessionStorage.getItem('tenantry.session')).accessToken",
    ) as Promise<string>

  /** Signs in as a new guest and creates an org and a project in it, through the page. */
  async function signInWithProject(page: Page) {
    await page.goto(`${origin}/`)
    await page.getByRole('button', { name: 'Sign in as a guest' }).click()
    await expect
      .poll(() => page.locator('#who').textContent())
      .toMatch(/^Signed in as guest-\d+\.$/)
    await page.getByLabel('New organization name').fill('Acme')
    await page.getByRole('button', { name: 'Create organization' }).click()
    const orgs = page.getByLabel('Your organizations')
    await expect.poll(() => orgs.locator('option:checked').textContent(), WAIT).toBe('Acme (owner)')
    await page.getByLabel('New project name').fill('Web')
    await page.getByRole('button', { name: 'Create project' }).click()
    const projects = page.getByLabel('Projects of this organization')
    await expect.poll(() => projects.locator('option:checked').textContent(), WAIT).toBe('Web')
    await page.getByText('No chats yet.').waitFor()
  }

  /**
   * Opens a new chat through the page and waits for its socket: the title names the new
   * chat first (the status line may still say the last chat's `connected` until then).
   */
  async function openChat(page: Page): Promise<string> {
    const title = page.locator('#chat-title')
    const before = (await title.isVisible()) ? await title.textContent() : null
    await page.getByRole('button', { name: 'Open a new chat' }).click()
    await expect.poll(() => title.textContent(), WAIT).not.toBe(before)
    await expect.poll(() => page.locator('#status').textContent(), WAIT).toBe('connected')
    return String(await title.textContent()).replace(/^Chat /, '')
  }

  /** The transcript's replies as [seq, text]. */
  const replies = (page: Page) =>
    page
      .locator('#transcript li.reply')
      .evaluateAll((items) =>
        items.map((item) => [
          (item as unknown as { dataset: { seq: string } }).dataset.seq,
          item.textContent,
        ]),
      )

  test('loads from this server alone, without an error, under its CSP', async () => {
    const { page, seen, close } = await openPage()
    try {
      const response = await page.goto(`${origin}/`)
      const header = (await response?.headerValue('content-security-policy')) ?? ''
      expect(header).toBe(pageCsp(new URL(origin).host))
      await page.getByRole('button', { name: 'Sign in as a guest' }).waitFor()
      await page.waitForLoadState('networkidle')
      const report = JSON.stringify(seen, null, 2)
      expect(
        seen.requests.filter((url) => new URL(url).origin !== origin),
        report,
      ).toEqual([])
      expect(seen.failed, report).toEqual([])
      expect(seen.errorResponses, report).toEqual([])
      expect(seen.consoleErrors, report).toEqual([])
      expect(seen.pageErrors, report).toEqual([])
      for (const path of ['/web/app.js', '/web/style.css']) {
        expect(
          seen.okResponses.some((line) => line.startsWith(`200 GET ${origin}${path}?v=`)),
          `${path}\n${report}`,
        ).toBe(true)
      }
      expect(await page.locator('#status').textContent()).toBe('not connected')
    } finally {
      await close()
    }
  })

  test('the CSP holds: no inline script, no HTML sink, nothing fetched from elsewhere', async () => {
    const { page, seen, close } = await openPage()
    try {
      await page.goto(`${origin}/`)
      await page.getByRole('button', { name: 'Sign in as a guest' }).waitFor()
      const reported = (directive: string) =>
        page.waitForEvent('console', {
          predicate: (message) => message.text().startsWith(`CSP violation: ${directive}`),
        })
      // Trusted Types with no policy: every way of putting a string into HTML or a script
      // throws, and one that would slip past them (a text node) still does not run.
      const ttReported = reported('require-trusted-types-for')
      const outcomes = await page.evaluate(`(() => {
        const tries = {
          innerHTML: () => { document.body.innerHTML = '<b>x</b>' },
          inlineScript: () => {
            const script = document.createElement('script')
            script.textContent = 'document.body.dataset.inline = "ran"'
            document.head.append(script)
          },
          scriptUrl: () => {
            const script = document.createElement('script')
            script.src = 'data:text/javascript,document.body.dataset.inline = "ran"'
            document.head.append(script)
          },
          policy: () => trustedTypes.createPolicy('any', { createHTML: (html) => html }),
          textNode: () => {
            const script = document.createElement('script')
            script.append(document.createTextNode('document.body.dataset.inline = "ran"'))
            document.head.append(script)
          },
        }
        return Object.fromEntries(Object.entries(tries).map(([name, run]) => {
          try { run(); return [name, 'no exception'] } catch (error) { return [name, error.name] }
        }))
      })()`)
      expect(outcomes).toEqual({
        innerHTML: 'TypeError',
        inlineScript: 'TypeError',
        scriptUrl: 'TypeError',
        policy: 'TypeError',
        textNode: 'no exception',
      })
      await ttReported
      await page.waitForTimeout(200)
      expect(await page.evaluate('document.body.dataset.inline ?? null')).toBe(null)

      const connectReported = reported('connect-src')
      const fetched = await page.evaluate(
        (url) =>
          fetch(url).then(
            () => 'fetched',
            () => 'refused',
          ),
        'http://127.0.0.1:1/',
      )
      expect(fetched).toBe('refused')
      await connectReported
      expect(seen.pageErrors).toEqual([])
    } finally {
      await close()
    }
  })

  test('signs in, opens a chat, answers actions live, and resumes a dropped socket without losing or repeating a reply', async () => {
    const { page, seen, close } = await openPage()
    // Every chat socket goes through the test, which can hold replies and drop the
    // connection as a restarting server or a lost network would.
    const sockets: { url: string; page: WebSocketRoute; server: WebSocketRoute }[] = []
    let holding = false
    const held: string[] = []
    await page.routeWebSocket(/\/v1\/chats\/[^/]+\/ws\b/, (ws) => {
      const server = ws.connectToServer()
      server.onMessage((message) => {
        if (holding) held.push(String(message))
        else ws.send(message)
      })
      sockets.push({ url: ws.url(), page: ws, server })
    })
    try {
      await signInWithProject(page)
      const chat = await openChat(page)
      expect(sockets.length).toBe(1)
      const first = new URL(sockets[0]?.url ?? '')
      expect(first.pathname).toMatch(new RegExp(`^/v1/chats/${chat}[0-9a-f-]+/ws$`))
      expect(first.searchParams.get('ticket')).toBeTruthy()
      expect(first.searchParams.has('after')).toBe(false)

      // One button per catalog action; roll-dice's arguments within the catalog's bounds.
      for (const name of ['Help', 'Ping', 'Time', 'Roll dice']) {
        expect(await page.getByRole('button', { name, exact: true }).isEnabled(), name).toBe(true)
      }
      const count = page.getByLabel('count (1–10)')
      const sides = page.getByLabel('sides (2–100)')
      expect([await count.getAttribute('min'), await count.getAttribute('max')]).toEqual([
        '1',
        '10',
      ])
      expect([await sides.getAttribute('min'), await sides.getAttribute('max')]).toEqual([
        '2',
        '100',
      ])

      await page.getByRole('button', { name: 'Ping', exact: true }).click()
      await expect.poll(() => replies(page), WAIT).toEqual([['1', '#1 Ping: pong']])
      await count.fill('3')
      await sides.fill('20')
      await page.getByRole('button', { name: 'Roll dice', exact: true }).click()
      await expect.poll(() => replies(page).then((r) => r.length), WAIT).toBe(2)
      const [, roll] = (await replies(page))[1] as [string, string]
      const [, faces, total] = roll.match(/^#2 Roll dice: 3d20: (\d+ \+ \d+ \+ \d+) = (\d+)$/) ?? []
      expect(faces, roll).toBeDefined()
      const sum = String(faces)
        .split(' + ')
        .reduce((a, b) => a + Number(b), 0)
      expect(Number(total)).toBe(sum)
      // Out of bounds never leaves the page: the browser's own check stops the form.
      await count.fill('11')
      await page.getByRole('button', { name: 'Roll dice', exact: true }).click()

      // A reply the page never gets (held), a second one sent from elsewhere while it is
      // held, then the socket dropped as a restarting server drops it.
      holding = true
      await page.getByRole('button', { name: 'Time', exact: true }).click()
      await expect.poll(() => held.length, WAIT).toBe(1)
      const token = await accessToken(page)
      const posted = await fetch(`${origin}/v1/chats/${chatIdOf(sockets[0]?.url)}/actions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ action: 'ping' }),
      })
      expect(posted.status, await posted.clone().text()).toBe(202)
      await expect.poll(() => held.length, WAIT).toBe(2)
      holding = false
      await sockets[0]?.page.close({ code: 1012, reason: 'test: server restarting' })
      await sockets[0]?.server.close()

      await expect.poll(() => sockets.length, WAIT).toBe(2)
      const second = new URL(sockets[1]?.url ?? '')
      expect(second.searchParams.get('after')).toBe('2')
      expect(second.searchParams.get('ticket')).not.toBe(first.searchParams.get('ticket'))
      await expect.poll(() => page.locator('#status').textContent(), WAIT).toBe('connected')
      expect(
        (await statuses(page)).some((s) =>
          /^reconnecting: reconnecting in \d+ s \(server restarting\)$/.test(s),
        ),
        (await statuses(page)).join('\n'),
      ).toBe(true)
      await expect.poll(() => replies(page).then((r) => r.length), WAIT).toBe(4)

      // Dropped again, as a server drops a peer too slow to keep up (1013): resumed again,
      // after the last reply seen.
      await sockets[1]?.page.close({ code: 1013, reason: 'test: too slow' })
      await sockets[1]?.server.close()
      await expect.poll(() => sockets.length, WAIT).toBe(3)
      expect(new URL(sockets[2]?.url ?? '').searchParams.get('after')).toBe('4')
      expect((await statuses(page)).join('\n')).toMatch(
        /^reconnecting: reconnecting in \d+ s \(server asked to slow down\)$/m,
      )
      await expect.poll(() => page.locator('#status').textContent(), WAIT).toBe('connected')
      await page.getByRole('button', { name: 'Ping', exact: true }).click()
      await expect.poll(() => replies(page).then((r) => r.length), WAIT).toBe(5)

      // Replies delivered twice (a replay overlapping what was seen) are shown once: #3
      // and #4 again, then a new reply, which comes after them on the same socket.
      for (const frame of held) sockets[2]?.page.send(frame)
      await page.getByRole('button', { name: 'Ping', exact: true }).click()

      // Every reply once, in order.
      await expect.poll(() => page.locator('#transcript li.sent').count(), WAIT).toBe(5)
      await expect.poll(() => replies(page).then((r) => r.at(-1)?.[0]), WAIT).toBe('6')
      const all = await replies(page)
      expect(all.map(([seq]) => seq)).toEqual(['1', '2', '3', '4', '5', '6'])
      expect(all[2]?.[1]).toMatch(/^#3 Time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
      expect(all[3]?.[1]).toBe('#4 Ping: pong')
      expect(all[4]?.[1]).toBe('#5 Ping: pong')
      expect(all[5]?.[1]).toBe('#6 Ping: pong')
      // Each reply to the page's own frames answers the frame the page sent.
      const sent = await page
        .locator('#transcript li.sent')
        .evaluateAll((items) =>
          items.map((item) => (item as unknown as { dataset: { id: string } }).dataset.id),
        )
      const answered = await page
        .locator('#transcript li.reply')
        .evaluateAll((items) =>
          items.map(
            (item) => (item as unknown as { dataset: { inReplyTo: string } }).dataset.inReplyTo,
          ),
        )
      expect(sent.length).toBe(5)
      for (const id of sent) expect(answered, id).toContain(id)

      // The server no longer holds what the page asked for: the view is reloaded (an
      // empty transcript that says so) and replies go on from where the server is.
      sockets[2]?.page.send(JSON.stringify({ type: 'resync', after: 6 }))
      await page.getByText('Earlier replies are no longer available').waitFor()
      expect(await page.locator('#transcript li').count()).toBe(1)
      await expect
        .poll(() => page.getByRole('button', { name: 'Ping', exact: true }).isEnabled(), WAIT)
        .toBe(true)
      await page.getByRole('button', { name: 'Ping', exact: true }).click()
      await expect.poll(() => replies(page), WAIT).toEqual([['7', '#7 Ping: pong']])

      const report = JSON.stringify(seen, null, 2)
      expect(seen.errorResponses, report).toEqual([])
      expect(seen.consoleErrors, report).toEqual([])
      expect(seen.pageErrors, report).toEqual([])
    } finally {
      await close()
    }
  })

  test('refuses a 4th active chat clearly, and closing one frees its slot', async () => {
    const { page, seen, close } = await openPage()
    try {
      await signInWithProject(page)
      for (let i = 0; i < 3; i++) await openChat(page)
      const limit = page.locator('#chat-limit')
      expect(await limit.isHidden()).toBe(true)
      await page.getByRole('button', { name: 'Open a new chat' }).click()
      await limit.waitFor()
      expect(await limit.getAttribute('role')).toBe('alert')
      expect(await limit.textContent()).toMatch(/as many active chats .* as allowed. Close one/)
      // The open chat is still connected; the list offers to close each of the three.
      expect(await page.locator('#status').textContent()).toBe('connected')
      const closers = page.getByRole('button', { name: /^Close chat / })
      await expect.poll(() => closers.count(), WAIT).toBe(3)
      await closers.first().click()
      await expect.poll(() => closers.count(), WAIT).toBe(2)
      expect(await limit.isHidden()).toBe(true)
      await openChat(page)
      await expect.poll(() => closers.count(), WAIT).toBe(3)
      // An existing chat is opened again from the list, on a socket of its own.
      const opener = page.getByRole('button', { name: /^Open chat / }).first()
      const other = String(await opener.getAttribute('aria-label')).replace(/^Open chat /, '')
      await opener.click()
      await expect.poll(() => page.locator('#chat-title').textContent(), WAIT).toBe(`Chat ${other}`)
      await expect.poll(() => page.locator('#status').textContent(), WAIT).toBe('connected')
      await page.getByRole('button', { name: 'Ping', exact: true }).click()
      await expect.poll(() => replies(page), WAIT).toEqual([['1', '#1 Ping: pong']])
      // Without routeWebSocket: the real socket, allowed by the real CSP.
      const violations = seen.consoleErrors.filter((line) => line.startsWith('CSP violation'))
      expect(violations).toEqual([])
      expect(seen.pageErrors).toEqual([])
    } finally {
      await close()
    }
  })

  test('says so when the chat is closed elsewhere (4404), and reconnects to nothing', async () => {
    const { page, seen, close } = await openPage()
    try {
      await signInWithProject(page)
      await openChat(page)
      // The chat open here is listed with Close only.
      const closers = page.getByRole('button', { name: /^Close chat / })
      await expect.poll(() => closers.count(), WAIT).toBe(1)
      expect(await page.getByRole('button', { name: /^Open chat / }).count()).toBe(0)
      const [chatId] = await closers.evaluateAll((buttons) =>
        buttons.map(
          (button) => (button as unknown as { dataset: { close: string } }).dataset.close,
        ),
      )
      const closed = await fetch(`${origin}/v1/chats/${chatId}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${await accessToken(page)}` },
      })
      expect(closed.status).toBe(204)
      await expect.poll(() => page.locator('#status').textContent(), WAIT).toBe('chat gone')
      await page.getByText('This chat is gone: it was closed or it expired.').waitFor()
      expect(await page.getByRole('button', { name: 'Ping', exact: true }).isDisabled()).toBe(true)
      // Told by the close code itself: no ticket is asked for again, now or later.
      await page.waitForTimeout(1500)
      const tickets = seen.requests.filter((url) => url.endsWith(`/v1/chats/${chatId}/tickets`))
      expect(tickets.length, JSON.stringify(seen, null, 2)).toBe(1)
      expect(seen.errorResponses, JSON.stringify(seen, null, 2)).toEqual([])
      expect(await page.locator('#status').textContent()).toBe('chat gone')
      expect(seen.pageErrors).toEqual([])
    } finally {
      await close()
    }
  })

  test('refreshes the access token near its expiry, and after a 401', async () => {
    const { page, seen, close } = await openPage()
    try {
      await signInWithProject(page)
      const original = await accessToken(page)

      // Near expiry: refreshed before the call, which never sees a 401.
      await page.evaluate(`(() => {
        const kept = JSON.parse(sessionStorage.getItem('tenantry.session'))
        kept.expiresAt = Date.now() + 1000
        sessionStorage.setItem('tenantry.session', JSON.stringify(kept))
      })()`)
      await page.reload()
      await expect
        .poll(() => page.locator('#who').textContent(), WAIT)
        .toMatch(/^Signed in as guest-/)
      await expect.poll(() => accessToken(page), WAIT).not.toBe(original)
      await page.getByText('No chats yet.').waitFor()
      expect(seen.errorResponses, JSON.stringify(seen, null, 2)).toEqual([])
      const refreshed = await accessToken(page)

      // A token the server refuses: 401, one refresh, the call again.
      await page.evaluate(`(() => {
        const kept = JSON.parse(sessionStorage.getItem('tenantry.session'))
        kept.accessToken = 'not-a-token'
        sessionStorage.setItem('tenantry.session', JSON.stringify(kept))
      })()`)
      await page.reload()
      await page.getByText('No chats yet.').waitFor()
      const token = await accessToken(page)
      expect([original, refreshed, 'not-a-token']).not.toContain(token)
      expect(seen.errorResponses).toEqual([`401 GET ${origin}/v1/orgs?limit=100`])
      expect(seen.okResponses.filter((line) => line.includes('/v1/auth/refresh'))).toEqual([
        `200 POST ${origin}/v1/auth/refresh`,
        `200 POST ${origin}/v1/auth/refresh`,
      ])
      expect(await page.locator('#error').isHidden()).toBe(true)
      expect(seen.pageErrors).toEqual([])
    } finally {
      await close()
    }
  })
})

/** The chat id of a socket URL. */
function chatIdOf(url: string | undefined): string {
  return new URL(url ?? '').pathname.split('/')[3] ?? ''
}
