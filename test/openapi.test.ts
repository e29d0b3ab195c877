import { readFile } from 'node:fs/promises'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { FUNCTIONS } from '#platform/functions.ts'
import { apiDocumentYaml } from '#platform/openapi.ts'
import type { AccessTokenVerifier } from '#shared/auth/verifier.ts'
import { createLogger } from '#shared/log.ts'

/** The committed OpenAPI document is generated from the route definitions and matches the code. */
describe('OpenAPI document', () => {
  it('is up to date: docs/api/openapi.yaml equals what `npm run openapi` generates', async () => {
    const committed = await readFile(new URL('../docs/api/openapi.yaml', import.meta.url), 'utf8')
    expect(committed, 'run `npm run openapi` and commit docs/api/openapi.yaml').toBe(
      apiDocumentYaml(),
    )
  })

  it('gives every route with a body an example that its body schema accepts', () => {
    const withBody = FUNCTIONS.flatMap((fn) => fn.routes).filter((route) => route.body)
    expect(withBody.length).toBeGreaterThan(5)
    for (const route of withBody) {
      const label = `${route.method.toUpperCase()} ${route.path}`
      expect(route.example, label).toBeDefined()
      expect(
        v.safeParse(route.body as v.GenericSchema, route.example).issues,
        label,
      ).toBeUndefined()
    }
  })

  it.each(FUNCTIONS.map((fn) => [fn.name, fn] as const))(
    'lists exactly the routes the %s function registers',
    (_name, fn) => {
      // Building the app only registers routes; nothing here is called.
      const app = fn.build({
        log: createLogger('openapi', { level: 'silent' }),
        cursorSecret: new Uint8Array(32),
        verifier: {} as AccessTokenVerifier,
      })
      const registered = app.routes
        .filter((route) => route.method !== 'ALL' && /^\/(v1|\.well-known)\//.test(route.path))
        .map((route) => `${route.method} ${route.path}`)
      const specified = fn.routes.map((spec) => `${spec.method.toUpperCase()} ${spec.path}`)
      expect(new Set(registered)).toEqual(new Set(specified))
    },
  )
})
