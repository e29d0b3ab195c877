import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { createLogger, flatRedactionChild } from '#shared/log.ts'
import { ApiError, ERROR_CATALOG, type Problem } from './errors.ts'
import { jsonBody } from './input.ts'
import { createMetricsRegistry } from './metrics.ts'
import { createApp } from './platform.ts'

/** API.md's common rules, through app.request() on a small app built like a function's. */

const lines: string[] = []
const log = createLogger('test', { destination: { write: (line: string) => lines.push(line) } })

const Thing = v.object({
  name: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100)),
  tags: v.optional(v.array(v.string())),
})

function testApp() {
  const app = createApp({ log, bodyLimit: 1024 })
  app.post('/v1/things', async (c) => {
    const thing = await jsonBody(c, Thing)
    return c.json({ name: thing.name }, 201)
  })
  app.get('/v1/things/:id', (c) => {
    throw new ApiError('PROJECT_NOT_FOUND', { detail: `no thing ${c.req.param('id').length}` })
  })
  app.get('/v1/boom', () => {
    throw new Error('relation "secret_table" does not exist at /srv/app.ts:12')
  })
  return app
}

const post = (
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) => testApp().request('/v1/things', { method: 'POST', body, headers })

async function problem(res: Response): Promise<Problem> {
  expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8')
  const body = (await res.json()) as Problem
  const text = JSON.stringify(body)
  expect(body.status, text).toBe(res.status)
  expect(ERROR_CATALOG[body.code].status, text).toBe(res.status)
  expect(body.title, text).toBe(ERROR_CATALOG[body.code].title)
  expect(body.request_id, text).toBe(res.headers.get('x-request-id'))
  expect(body.type, text).toMatch(/^\/docs\/errors#[a-z-]+$/)
  return body
}

describe('errors as problem+json', () => {
  it('answers an unknown route with 404 NOT_FOUND', async () => {
    const res = await testApp().request('/v1/nothing-here')
    expect(res.status).toBe(404)
    expect((await problem(res)).code).toBe('NOT_FOUND')
  })

  it('answers a known route with another method with 405 and Allow', async () => {
    const res = await testApp().request('/v1/things', { method: 'DELETE' })
    expect(res.status).toBe(405)
    expect((await problem(res)).code).toBe('METHOD_NOT_ALLOWED')
    expect(res.headers.get('allow')).toBe('POST')
  })

  it('turns an ApiError into its catalog status and code', async () => {
    const res = await testApp().request('/v1/things/abc')
    expect(res.status).toBe(404)
    const body = await problem(res)
    expect(body).toMatchObject({
      code: 'PROJECT_NOT_FOUND',
      detail: 'no thing 3',
      instance: '/v1/things/abc',
    })
  })

  it('hides an unexpected error behind a generic 500 and logs it', async () => {
    lines.length = 0
    const res = await testApp().request('/v1/boom')
    expect(res.status).toBe(500)
    const text = JSON.stringify(await problem(res.clone()))
    expect(text).not.toMatch(/secret_table|srv|stack|at /)
    expect(((await res.json()) as Problem).code).toBe('INTERNAL')
    expect(lines.join('')).toContain('secret_table')
  })

  it('keeps every catalog status consistent with its code family', () => {
    for (const [code, { status }] of Object.entries(ERROR_CATALOG)) {
      if (code.endsWith('_NOT_FOUND')) expect(status, code).toBe(404)
    }
  })
})

describe('request ids', () => {
  it('keeps a valid X-Request-Id and echoes it', async () => {
    const res = await testApp().request('/v1/nothing', {
      headers: { 'x-request-id': 'abc.DEF_1-2' },
    })
    expect(res.headers.get('x-request-id')).toBe('abc.DEF_1-2')
    expect((await problem(res)).request_id).toBe('abc.DEF_1-2')
  })

  it.each([
    ['too long', 'a'.repeat(65)],
    ['bad characters', 'id with spaces'],
    ['empty', ''],
  ])('replaces an inbound id that is %s', async (_label, inbound) => {
    const res = await testApp().request('/v1/nothing', { headers: { 'x-request-id': inbound } })
    const id = res.headers.get('x-request-id') ?? ''
    expect(id).not.toBe(inbound)
    expect(id).toMatch(/^[A-Za-z0-9._-]{1,64}$/)
  })
})

describe('JSON bodies', () => {
  it('accepts a valid body', async () => {
    const res = await post(JSON.stringify({ name: '  Acme  ' }))
    expect(res.status).toBe(201)
    expect(await res.json()).toEqual({ name: 'Acme' })
  })

  it('accepts a charset parameter on the media type', async () => {
    const res = await post('{"name":"A"}', { 'content-type': 'application/json; charset=utf-8' })
    expect(res.status).toBe(201)
  })

  it('answers another media type with 415', async () => {
    const res = await post('name=A', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(res.status).toBe(415)
    expect((await problem(res)).code).toBe('UNSUPPORTED_MEDIA_TYPE')
  })

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    const res = await post('{"name": "A",')
    expect(res.status).toBe(400)
    expect((await problem(res)).code).toBe('MALFORMED_JSON')
  })

  it('answers a body over the limit with 413 before parsing it', async () => {
    const res = await post(`{"name": "${'x'.repeat(2000)}"`) // too large, and malformed
    expect(res.status).toBe(413)
    expect((await problem(res)).code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('lists every invalid field without echoing the input', async () => {
    const secret = 'hunter2-do-not-echo'
    const res = await post(JSON.stringify({ name: 42, tags: [secret, 7] }))
    expect(res.status).toBe(400)
    const body = await problem(res)
    expect(body.code).toBe('VALIDATION_FAILED')
    expect(body.errors).toEqual([
      { location: 'body.name', message: 'must be a string' },
      { location: 'body.tags.1', message: 'must be a string' },
    ])
    // The request id is random and may contain any digits: check everything else.
    expect(JSON.stringify({ ...body, request_id: '' })).not.toContain('42')
    const long = await post(JSON.stringify({ name: secret.repeat(10) }))
    const longBody = await problem(long)
    expect(longBody.errors).toEqual([
      { location: 'body.name', message: 'must be at most 100 characters' },
    ])
    expect(JSON.stringify(longBody)).not.toContain(secret)
  })

  it('calls a missing body and a missing field required', async () => {
    const none = await testApp().request('/v1/things', { method: 'POST' })
    expect((await problem(none)).errors).toEqual([{ location: 'body', message: 'is required' }])
    const empty = await post('{}')
    expect((await problem(empty)).errors).toEqual([
      { location: 'body.name', message: 'is required' },
    ])
  })
})

describe('the canonical log line', () => {
  it('logs one line per request with method, route pattern, status, duration and request id', async () => {
    lines.length = 0
    await testApp().request('/v1/things/abc', { headers: { 'x-request-id': 'log-test-1' } })
    const entries = lines.map((line) => JSON.parse(line)).filter((e) => e.msg === 'request')
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({
      method: 'GET',
      route: '/v1/things/:id',
      status: 404,
      request_id: 'log-test-1',
      level: 'info',
    })
    expect(entries[0].duration_ms).toBeGreaterThanOrEqual(0)
  })

  it('never logs credentials, cookies, bodies or query strings', async () => {
    lines.length = 0
    await testApp().request('/v1/things?token=query-secret', {
      method: 'POST',
      body: JSON.stringify({ name: 'body-secret' }),
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer header-secret',
        cookie: 'session=cookie-secret',
      },
    })
    const text = lines.join('')
    expect(text).toContain('"route":"/v1/things"')
    for (const secret of ['query-secret', 'body-secret', 'header-secret', 'cookie-secret']) {
      expect(text).not.toContain(secret)
    }
  })
})

describe('the canonical line’s redaction', () => {
  it('still redacts the top-level secret fields a line could carry', async () => {
    const out: string[] = []
    const child = flatRedactionChild(
      createLogger('flat', { destination: { write: (line: string) => out.push(line) } }),
    )
    child.info({ token: 'tok-secret', authorization: 'auth-secret', request_id: 'r1' }, 'request')
    expect(out.join('')).toContain('"request_id":"r1"')
    expect(out.join('')).not.toMatch(/tok-secret|auth-secret/)
  })
})

describe('metrics through the platform', () => {
  it('counts the final status: a 405 is counted as 405 under its route pattern', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false })
    const app = createApp({ log, metrics: registry })
    app.get('/v1/only-get/:id', (c) => c.json({ ok: true }))
    await app.request('/v1/only-get/id-in-path-xyz', { method: 'POST' })
    const text = await registry.metrics()
    expect(text).toMatch(/http_requests_total\{[^}]*status="405"[^}]*\} 1/)
    expect(text).not.toContain('id-in-path-xyz')
  })
})
