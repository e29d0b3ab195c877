import { describe, expect, it } from 'vitest'
import { createLogger } from '#shared/log.ts'
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS, parseCorsOrigins } from './cors.ts'
import { ApiError } from './errors.ts'
import { createApp } from './platform.ts'

/** CORS (API.md): allowed origins from configuration, none by default. */

const log = createLogger('test', { level: 'silent' })
const ALLOWED = 'https://app.example'
const OTHER = 'https://evil.example'

function testApp(corsOrigins?: readonly string[], options: { lines?: string[] } = {}) {
  const { lines } = options
  const appLog = lines
    ? createLogger('test', { destination: { write: (line: string) => lines.push(line) } })
    : log
  const app = createApp({ log: appLog, ...(corsOrigins ? { corsOrigins } : {}) })
  const calls = { projects: 0 }
  // Stands in for a route behind authenticate(): 401 with a challenge unless a token is sent.
  app.get('/v1/projects', (c) => {
    calls.projects += 1
    if (!c.req.header('authorization')) {
      throw new ApiError('UNAUTHENTICATED', { headers: { 'WWW-Authenticate': 'Bearer' } })
    }
    return c.json({ items: [] }, 200, { ETag: '"1"' })
  })
  app.post('/v1/projects', () => {
    throw new ApiError('RATE_LIMITED', { headers: { 'Retry-After': '3' } })
  })
  app.get('/v1/boom', () => {
    throw new Error('unexpected')
  })
  return { app, calls }
}

function preflight(origin = ALLOWED, method = 'DELETE'): RequestInit {
  return {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': method,
      'Access-Control-Request-Headers': 'authorization, content-type, idempotency-key',
    },
  }
}

const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
]

/** The whole response, for assertion messages. */
async function show(res: Response): Promise<string> {
  const body = await res.clone().text()
  return JSON.stringify({ status: res.status, headers: Object.fromEntries(res.headers), body })
}

const list = (value: string | null) => (value ?? '').split(',').map((item) => item.trim())

function expectActualCors(res: Response, origin: string, text: string) {
  expect(res.headers.get('access-control-allow-origin'), text).toBe(origin)
  expect(list(res.headers.get('vary')), text).toContain('Origin')
  expect(list(res.headers.get('access-control-expose-headers')), text).toEqual([
    ...CORS_EXPOSE_HEADERS,
  ])
  expect(res.headers.get('access-control-allow-credentials'), text).toBeNull()
}

describe('CORS preflight', () => {
  it('answers a preflight from an allowed origin 204 without authentication', async () => {
    const lines: string[] = []
    const { app, calls } = testApp([ALLOWED, 'http://localhost:3000'], { lines })
    const res = await app.request('/v1/projects', preflight())
    const text = await show(res)
    expect(res.status, text).toBe(204)
    expect(await res.text(), text).toBe('')
    expect(calls.projects, 'the route (and its auth) must not run').toBe(0)
    expect(res.headers.get('access-control-allow-origin'), text).toBe(ALLOWED)
    expect(list(res.headers.get('access-control-allow-methods')), text).toEqual([
      'GET',
      'POST',
      'PUT',
      'PATCH',
      'DELETE',
    ])
    expect(list(res.headers.get('access-control-allow-headers')), text).toEqual([
      ...CORS_ALLOW_HEADERS,
    ])
    for (const header of [
      'Authorization',
      'Content-Type',
      'Idempotency-Key',
      'If-Match',
      'X-Request-Id',
      'Last-Event-ID',
    ]) {
      expect(list(res.headers.get('access-control-allow-headers')), text).toContain(header)
    }
    expect(res.headers.get('access-control-max-age'), text).toBe('600')
    expect(list(res.headers.get('vary')), text).toContain('Origin')
    expect(res.headers.get('access-control-allow-credentials'), text).toBeNull()
    // Still a request of the platform: it has a request id and a canonical log line.
    const id = res.headers.get('x-request-id')
    expect(id, text).toMatch(/^[0-9a-f-]{36}$/)
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(logged, lines.join('\n')).toContainEqual(
      expect.objectContaining({ msg: 'request', request_id: id, method: 'OPTIONS', status: 204 }),
    )
  })

  it('answers a preflight for any path the same, before the 404/405 rules', async () => {
    const { app } = testApp([ALLOWED])
    for (const path of ['/v1/projects', '/v1/boom', '/v1/nothing-here']) {
      const res = await app.request(path, preflight(ALLOWED, 'PATCH'))
      const text = await show(res)
      expect(res.status, text).toBe(204)
      expect(res.headers.get('access-control-allow-origin'), text).toBe(ALLOWED)
    }
  })

  it('gives a preflight from another origin no Access-Control-Allow-Origin', async () => {
    const { app, calls } = testApp([ALLOWED])
    for (const origin of [OTHER, 'https://app.example.evil.example', 'http://app.example']) {
      const res = await app.request('/v1/projects', preflight(origin))
      const text = await show(res)
      // hono/cors answers every OPTIONS itself; without the header the browser refuses.
      expect(res.status, text).toBe(204)
      expect(res.headers.get('access-control-allow-origin'), text).toBeNull()
      expect(res.headers.get('access-control-allow-credentials'), text).toBeNull()
      expect(list(res.headers.get('vary')), text).toContain('Origin')
    }
    expect(calls.projects).toBe(0)
  })
})

describe('CORS on actual responses', () => {
  it('gives a GET from an allowed origin Allow-Origin, Vary and Expose-Headers', async () => {
    const { app } = testApp([ALLOWED])
    const res = await app.request('/v1/projects', {
      headers: { Origin: ALLOWED, Authorization: 'Bearer t' },
    })
    const text = await show(res)
    expect(res.status, text).toBe(200)
    expectActualCors(res, ALLOWED, text)
    expect(res.headers.get('etag'), text).toBe('"1"')
    expect(res.headers.get('x-request-id'), text).toBeTruthy()
  })

  it('puts the headers on problem+json errors too, so that a page can read them', async () => {
    const { app } = testApp([ALLOWED])
    const cases: [string, RequestInit, number][] = [
      ['/v1/projects', {}, 401],
      ['/v1/projects', { method: 'POST', body: '{}' }, 429],
      ['/v1/projects', { method: 'DELETE' }, 405],
      ['/v1/nothing-here', {}, 404],
      ['/v1/boom', {}, 500],
    ]
    for (const [path, init, status] of cases) {
      const res = await app.request(path, {
        ...init,
        headers: { Origin: ALLOWED, 'content-type': 'application/json' },
      })
      const text = await show(res)
      expect(res.status, text).toBe(status)
      expect(res.headers.get('content-type'), text).toBe('application/problem+json; charset=utf-8')
      expectActualCors(res, ALLOWED, text)
      if (status === 401) expect(res.headers.get('www-authenticate'), text).toBe('Bearer')
      if (status === 429) expect(res.headers.get('retry-after'), text).toBe('3')
    }
  })

  it('gives another origin no Allow-Origin but still Vary: Origin, for caches', async () => {
    const { app } = testApp([ALLOWED])
    for (const headers of [{ Origin: OTHER }, {}] as Record<string, string>[]) {
      const res = await app.request('/v1/projects', { headers })
      const text = await show(res)
      expect(res.status, text).toBe(401)
      expect(res.headers.get('access-control-allow-origin'), text).toBeNull()
      expect(res.headers.get('access-control-allow-credentials'), text).toBeNull()
      expect(list(res.headers.get('vary')), text).toContain('Origin')
    }
  })
})

describe('CORS configuration', () => {
  it('sends no CORS header at all when no origin is configured', async () => {
    for (const origins of [undefined, []]) {
      const { app } = testApp(origins)
      const responses = [
        await app.request('/v1/projects', preflight()),
        await app.request('/v1/nothing-here', preflight()),
        await app.request('/v1/projects', { headers: { Origin: ALLOWED } }),
        await app.request('/v1/projects', {
          headers: { Origin: ALLOWED, Authorization: 'Bearer t' },
        }),
      ]
      const [options, unknown, unauthenticated, ok] = responses
      // A preflight gets what it got before CORS existed: 405 or 404 problem+json.
      expect(options?.status, await show(options as Response)).toBe(405)
      expect(unknown?.status, await show(unknown as Response)).toBe(404)
      expect(unauthenticated?.status).toBe(401)
      expect(ok?.status).toBe(200)
      for (const res of responses as Response[]) {
        const text = await show(res)
        for (const header of CORS_HEADERS) expect(res.headers.get(header), text).toBeNull()
        expect(res.headers.get('vary'), text).toBeNull()
      }
    }
  })

  it('answers * for any origin with * and never allows credentials', async () => {
    const { app } = testApp(['*'])
    const responses = [
      await app.request('/v1/projects', preflight(OTHER)),
      await app.request('/v1/projects', { headers: { Origin: OTHER } }),
      await app.request('/v1/projects', { headers: { Origin: ALLOWED, Authorization: 'Bearer' } }),
    ]
    expect(responses.map((res) => res.status)).toEqual([204, 401, 200])
    for (const res of responses) {
      const text = await show(res)
      expect(res.headers.get('access-control-allow-origin'), text).toBe('*')
      expect(res.headers.get('access-control-allow-credentials'), text).toBeNull()
    }
    expect(responses[0]?.headers.get('access-control-max-age')).toBe('600')
    expect(list(responses[1]?.headers.get('access-control-expose-headers') ?? null)).toContain(
      'WWW-Authenticate',
    )
  })

  it('refuses a bad list when the app is built', () => {
    expect(() => createApp({ log, corsOrigins: ['https://a.example/'] })).toThrow(/CORS origin/)
    expect(() => createApp({ log, corsOrigins: ['*', ALLOWED] })).toThrow(/only entry/)
  })
})

describe('parseCorsOrigins', () => {
  it('reads a comma-separated list of origins', () => {
    expect(parseCorsOrigins('https://a.example, http://localhost:3000')).toEqual([
      'https://a.example',
      'http://localhost:3000',
    ])
    expect(parseCorsOrigins(' https://a.example ,, https://a.example,')).toEqual([
      'https://a.example',
    ])
    expect(parseCorsOrigins('http://[::1]:8080')).toEqual(['http://[::1]:8080'])
    expect(parseCorsOrigins('*')).toEqual(['*'])
    expect(parseCorsOrigins(' * ')).toEqual(['*'])
  })

  it('means no origin when unset or blank', () => {
    expect(parseCorsOrigins(undefined)).toEqual([])
    expect(parseCorsOrigins('')).toEqual([])
    expect(parseCorsOrigins('  ')).toEqual([])
  })

  it.each([
    ['https://a.example/path', /'https:\/\/a\.example\/path'.*did you mean 'https:\/\/a\.example'/],
    ['https://a.example/', /did you mean 'https:\/\/a\.example'/],
    ['https://a.example?x=1', /did you mean/],
    ['https://A.example', /did you mean 'https:\/\/a\.example'/],
    ['https://a.example:443', /did you mean 'https:\/\/a\.example'/],
    ['https://user@a.example', /did you mean/],
    ['a.example', /'a\.example' is not an origin/],
    ['localhost:3000', /http or https|not an origin/],
    ['ftp://a.example', /http or https/],
    ['null', /not an origin/],
    ['*,https://x.example', /'\*' means any origin and must be the only entry/],
    ['https://x.example, *', /only entry/],
    ['https://a.example, https://*.example', /'https:\/\/\*\.example': only '\*' alone/],
  ])('refuses %j', (text, message) => {
    expect(() => parseCorsOrigins(text)).toThrow(message)
  })
})
