import { describe, expect, it } from 'vitest'
import { createLogger } from '#shared/log.ts'
import type { Problem } from './errors.ts'
import { type ConfigVersions, Readiness, registerHealth } from './health.ts'
import { createApp } from './platform.ts'

const log = createLogger('test', { level: 'silent' })

function testApp(readiness: Readiness) {
  const app = createApp({ log })
  registerHealth(app, readiness)
  return app
}

async function unavailable(res: Response): Promise<Problem> {
  const body = (await res.json()) as Problem
  const text = JSON.stringify(body)
  expect(res.status, text).toBe(503)
  expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8')
  expect(body.code, text).toBe('UNAVAILABLE')
  expect(res.headers.get('retry-after'), text).toMatch(/^[1-9][0-9]*$/)
  return body
}

describe('/healthz', () => {
  it.each(['starting', 'ready', 'draining'] as const)('answers 200 while %s', async (state) => {
    const readiness = new Readiness()
    if (state !== 'starting') readiness.ready()
    if (state === 'draining') readiness.drain()
    const res = await testApp(readiness).request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
    expect(res.headers.get('cache-control')).toBe('no-store')
  })
})

describe('/readyz', () => {
  it('answers 503 UNAVAILABLE with Retry-After while starting', async () => {
    const res = await testApp(new Readiness()).request('/readyz')
    const body = await unavailable(res)
    expect(body.detail).toMatch(/starting/)
  })

  it('answers 200 with the loaded config versions once ready, without a token', async () => {
    const readiness = new Readiness({ configs: () => ({ projects: 3, ratelimits: 7 }) })
    readiness.ready()
    const res = await testApp(readiness).request('/readyz')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toEqual({ status: 'ready', configs: { projects: 3, ratelimits: 7 } })
  })

  it('answers 503 while draining, and a late ready() does not undo the drain', async () => {
    const readiness = new Readiness()
    readiness.ready()
    const app = testApp(readiness)
    expect((await app.request('/readyz')).status).toBe(200)
    readiness.drain()
    expect((await unavailable(await app.request('/readyz'))).detail).toMatch(/shutting down/)
    readiness.ready()
    expect(readiness.state).toBe('draining')
    await unavailable(await app.request('/readyz'))
  })

  it('reads the versions at every request, from a provider plugged in later', async () => {
    const readiness = new Readiness()
    const app = testApp(readiness)
    readiness.ready()
    expect(await (await app.request('/readyz')).json()).toEqual({ status: 'ready', configs: {} })
    let versions: ConfigVersions = { chat: 1 }
    readiness.provideConfigs(() => versions)
    expect(((await (await app.request('/readyz')).json()) as { configs: unknown }).configs).toEqual(
      { chat: 1 },
    )
    versions = { chat: 2 }
    expect(((await (await app.request('/readyz')).json()) as { configs: unknown }).configs).toEqual(
      { chat: 2 },
    )
  })
})
