import { generateKeyPairSync } from 'node:crypto'
import type { Hono } from 'hono'
import { SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { FUNCTIONS } from '#platform/functions.ts'
import { createKeySet, loadSigningKey } from '#shared/auth/keys.ts'
import { issueAccessToken } from '#shared/auth/tokens.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { createTestKit, type TestKit } from './harness/app.ts'
import { createTestAuth, TEST_AUDIENCE, TEST_ISSUER, type TestAuth } from './harness/auth.ts'
import { useTestDatabase } from './harness/database.ts'
import { createUser } from './harness/fixtures.ts'

/**
 * One matrix over every authenticated route of every function (from the route specs):
 * each bad token is 401 UNAUTHENTICATED with WWW-Authenticate, and a machine token on a
 * user route is 403 FORBIDDEN — before any handler runs, whatever the path ids are.
 */

const db = useTestDatabase()
let auth: TestAuth
let kit: TestKit
const apps = new Map<string, Hono<AppEnv>>()
const badTokens: Record<string, string> = {}
/** Made by the same forging code as the bad ones, but valid: the control. */
let validToken: string

beforeAll(async () => {
  auth = await createTestAuth()
  kit = createTestKit(auth)
  for (const fn of FUNCTIONS) apps.set(fn.name, await kit.app(fn, { db: db.app }))
  const user = await createUser(db.admin)
  const subject = { kind: 'user', userId: user.id, handle: user.handle } as const
  const sign = (
    claims: { aud?: string; iss?: string },
    header: object,
    key = auth.keys.signing.privateKey,
  ) =>
    new SignJWT({ handle: user.handle })
      .setProtectedHeader({ alg: 'EdDSA', kid: auth.keys.signing.kid, typ: 'at+jwt', ...header })
      .setIssuer(claims.iss ?? TEST_ISSUER)
      .setAudience(claims.aud ?? TEST_AUDIENCE)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime('15m')
      .setJti(crypto.randomUUID())
      .sign(key)
  validToken = await sign({}, {})
  const stranger = createKeySet(
    await loadSigningKey(
      generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      { kid: auth.keys.signing.kid },
    ),
  )
  const expired = await issueAccessToken(auth.keys.signing, subject, {
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    lifetimeSeconds: 900,
    now: new Date(Date.now() - 3_600_000),
  })
  const header = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const payload = header({
    sub: user.id,
    handle: user.handle,
    iss: TEST_ISSUER,
    aud: TEST_AUDIENCE,
    iat: 1,
    exp: 9e9,
    jti: 'x',
  })
  const publicPem = auth.keys.signing.publicJwk
  Object.assign(badTokens, {
    garbage: 'not.a.token',
    expired: expired.token,
    'signed by an unknown key': await sign({}, {}, stranger.signing.privateKey),
    'alg none': `${header({ alg: 'none', typ: 'at+jwt' })}.${payload}.`,
    'HS256 with the public key as secret': await new SignJWT({ handle: user.handle })
      .setProtectedHeader({ alg: 'HS256', kid: auth.keys.signing.kid, typ: 'at+jwt' })
      .setIssuer(TEST_ISSUER)
      .setAudience(TEST_AUDIENCE)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime('15m')
      .setJti('hs')
      .sign(new TextEncoder().encode(JSON.stringify(publicPem))),
    'wrong audience': await sign({ aud: 'someone-else' }, {}),
    'wrong issuer': await sign({ iss: 'https://evil.example' }, {}),
    'wrong typ': await sign({}, { typ: 'JWT' }),
  })
})

const ROUTES = FUNCTIONS.flatMap((fn) =>
  fn.routes.filter((spec) => spec.auth === 'user').map((spec) => ({ fn, spec })),
)
/** The routes for machine clients, each with the scope it needs. */
const SCOPED = FUNCTIONS.flatMap((fn) =>
  fn.routes.flatMap((spec) =>
    typeof spec.auth === 'object' ? [{ fn, spec, scope: spec.auth.scope }] : [],
  ),
)

/** One request to a route with random path ids and a minimal body. */
function requester(app: Hono<AppEnv>, spec: (typeof ROUTES)[number]['spec']) {
  const path = spec.path.replace(/:[A-Za-z]+/g, crypto.randomUUID())
  return (authorization?: string) =>
    app.request(path, {
      method: spec.method.toUpperCase(),
      headers: {
        ...(authorization ? { authorization } : {}),
        ...(spec.body ? { 'content-type': 'application/json' } : {}),
      },
      ...(spec.body ? { body: '{}' } : {}),
    })
}

/** Each bad token's answer, one line per case so that a failure shows them all. */
async function badTokenAnswers(call: (authorization?: string) => Response | Promise<Response>) {
  const results: Record<string, string> = {}
  for (const [name, token] of Object.entries(badTokens)) {
    const res = await call(`Bearer ${token}`)
    const body = (await res.json()) as { code?: string }
    results[name] = `${res.status} ${body.code} ${res.headers.get('www-authenticate')}`
  }
  return results
}

const REFUSED = () =>
  Object.fromEntries(
    Object.keys(badTokens).map((name) => [
      name,
      '401 UNAUTHENTICATED Bearer error="invalid_token"',
    ]),
  )

describe('every authenticated route', () => {
  it('is covered (the matrix is not empty)', () => {
    expect(ROUTES.length).toBeGreaterThanOrEqual(15)
  })

  it.each(ROUTES.map((r) => [`${r.spec.method.toUpperCase()} ${r.spec.path}`, r] as const))(
    '%s refuses bad tokens with 401 and machine tokens with 403',
    async (_label, { fn, spec }) => {
      const call = requester(apps.get(fn.name) as Hono<AppEnv>, spec)
      const none = await call()
      expect(none.status).toBe(401)
      expect(none.headers.get('www-authenticate')).toBe('Bearer')
      expect(await badTokenAnswers(call)).toEqual(REFUSED())
      const control = await call(`Bearer ${validToken}`)
      expect(control.status, 'a valid token gets past authentication').not.toBe(401)
      const machine = await call(await auth.clientBearer('ops', ['config:read', 'config:write']))
      expect([machine.status, ((await machine.json()) as { code?: string }).code]).toEqual([
        403,
        'FORBIDDEN',
      ])
    },
  )
})

describe('every route for machine clients', () => {
  it('is covered (the matrix is not empty)', () => {
    expect(SCOPED.length).toBeGreaterThanOrEqual(4)
  })

  it.each(SCOPED.map((r) => [`${r.spec.method.toUpperCase()} ${r.spec.path}`, r] as const))(
    '%s refuses bad tokens with 401, and a guest or a client without its scope with 403',
    async (_label, { fn, spec, scope }) => {
      const call = requester(apps.get(fn.name) as Hono<AppEnv>, spec)
      const none = await call()
      expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Bearer'])
      expect(await badTokenAnswers(call)).toEqual(REFUSED())
      const code = async (res: Response) => [
        res.status,
        ((await res.json()) as { code?: string }).code,
      ]
      expect(await code(await call(`Bearer ${validToken}`)), 'a guest token').toEqual([
        403,
        'FORBIDDEN',
      ])
      const other = await auth.clientBearer('other', ['something:else'])
      expect(await code(await call(other)), 'a client without the scope').toEqual([
        403,
        'FORBIDDEN',
      ])
      const allowed = await call(await auth.clientBearer('ops', [scope]))
      expect([401, 403], 'a client with the scope gets past authentication').not.toContain(
        allowed.status,
      )
    },
  )
})
