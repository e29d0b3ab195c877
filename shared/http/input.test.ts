import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { createLogger } from '#shared/log.ts'
import { ERROR_CATALOG, type Problem } from './errors.ts'
import { jsonBody } from './input.ts'
import { createApp } from './platform.ts'

/** jsonBody() behind createApp(): validation messages as a client sees them. */

const log = createLogger('test', { destination: { write: () => {} } })

const Org = v.object({ name: v.pipe(v.string(), v.maxLength(100)) })
const Wrapper = v.object({ org: Org })

function testApp() {
  const app = createApp({ log })
  app.post('/v1/orgs', async (c) => c.json(await jsonBody(c, Org), 201))
  app.post('/v1/wrapped', async (c) => c.json(await jsonBody(c, Wrapper), 201))
  return app
}

async function post(path: string, body: string) {
  const res = await testApp().request(path, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  })
  const text = await res.text()
  return { res, text, problem: JSON.parse(text) as Problem }
}

describe('validation messages through the HTTP layer', () => {
  it('answers a JSON string where an object is expected: 400, "must be an object"', async () => {
    const { res, text, problem } = await post('/v1/orgs', '"hello"')
    expect(res.status, text).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8')
    expect(problem.code, text).toBe('VALIDATION_FAILED')
    expect(problem.title, text).toBe(ERROR_CATALOG.VALIDATION_FAILED.title)
    expect(problem.errors, text).toEqual([{ location: 'body', message: 'must be an object' }])
    expect(text).not.toContain('hello')
  })

  it('says the same for the same mistake at a nested field', async () => {
    const { res, text, problem } = await post('/v1/wrapped', '{"org":"hello"}')
    expect(res.status, text).toBe(400)
    expect(problem.errors, text).toEqual([{ location: 'body.org', message: 'must be an object' }])
  })

  it('words rule violations the same way, without the input', async () => {
    const name = `hunter2-${'x'.repeat(100)}`
    const { res, text, problem } = await post('/v1/orgs', JSON.stringify({ name }))
    expect(res.status, text).toBe(400)
    expect(problem.errors, text).toEqual([
      { location: 'body.name', message: 'must be at most 100 characters' },
    ])
    expect(text).not.toContain('hunter2')
  })
})
