import { existsSync } from 'node:fs'
import { type Browser, chromium, type Page } from 'playwright-core'

/**
 * Headless Chromium for the browser tests: Debian's `chromium` (.ci/run installs it),
 * driven through playwright-core. No browser is ever downloaded.
 */

const CHROMIUM = '/usr/bin/chromium'

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`)
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/** What a page did, for a test to check that nothing went wrong unnoticed. */
export interface PageRecord {
  requests: string[]
  failed: string[]
  errorResponses: string[]
  okResponses: string[]
  consoleErrors: string[]
  pageErrors: string[]
}

/**
 * Records every request, failure, response (`<status> <method> <url>`), console error
 * and page error of `page`, and reports each CSP violation as a console error naming
 * its directive (Chromium's own message does not). Scripts that run in the page are
 * strings: the project's types have no DOM.
 */
export async function recordPage(page: Page): Promise<PageRecord> {
  page.setDefaultTimeout(15_000)
  const seen: PageRecord = {
    requests: [],
    failed: [],
    errorResponses: [],
    okResponses: [],
    consoleErrors: [],
    pageErrors: [],
  }
  page.on('request', (request) => seen.requests.push(request.url()))
  page.on('requestfailed', (request) =>
    seen.failed.push(`${request.url()} ${request.failure()?.errorText}`),
  )
  page.on('response', (response) =>
    (response.status() >= 400 ? seen.errorResponses : seen.okResponses).push(
      `${response.status()} ${response.request().method()} ${response.url()}`,
    ),
  )
  page.on('console', (message) => {
    if (message.type() === 'error') seen.consoleErrors.push(message.text())
  })
  page.on('pageerror', (error) => seen.pageErrors.push(error.message))
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (event) =>
    console.error('CSP violation: ' + event.violatedDirective + ' ' + event.blockedURI))`)
  return seen
}

/** A Content-Security-Policy header as directive → sources. */
export function cspDirectives(csp: string | null): Map<string, string[]> {
  const parsed = (csp ?? '')
    .split(';')
    .map((part) => part.trim().split(/\s+/))
    .filter(([name]) => name)
    .map(([name, ...sources]) => [name as string, sources] as const)
  return new Map(parsed)
}
