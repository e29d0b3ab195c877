import { createHash, randomBytes } from 'node:crypto'
import type { Hono } from 'hono'
import type { Redis } from 'ioredis'
import type { Sql } from 'postgres'
import { beforeAll } from 'vitest'
import type { KeySet } from '#shared/auth/keys.ts'
import type { AccessTokenVerifier } from '#shared/auth/verifier.ts'
import type { MessageBus } from '#shared/bus/bus.ts'
import { createInProcessBus } from '#shared/bus/in-process-bus.ts'
import { ConfigCache } from '#shared/config/cache.ts'
import { keepCurrent, type Reload } from '#shared/config/reload.ts'
import { loadEnv } from '#shared/env.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import { createLogger, type Logger } from '#shared/log.ts'
import { InProcessRateLimiter } from '#shared/ratelimit/limiter.ts'
import type { AnyFunction, FunctionDefinition } from '#shared/runtime/definition.ts'
import { cursorSecretOf, type FunctionEnv, functionEnvSchema } from '#shared/runtime/process.ts'
import { createTestAuth, TEST_AUDIENCE, TEST_ISSUER, type TestAuth } from './auth.ts'

/**
 * The one test kit for every function: its app built from its definition exactly as its
 * process builds it (the same environment schema, `prepare` and `build`), with test
 * parts — the test database, the test key set, an in-process rate limiter — and one
 * `call()` that drives any app as the Node adapter would, as any caller.
 */

/** Machine clients every built auth function knows (AUTH_CLIENTS, as its process reads it). */
export const OPS_SECRET = 'ops-secret-0123456789abcdef0123456789abcdef'
export const READER_SECRET = 'reader-secret-xxxxxxxxxxxxxxxx'
export const sha256hex = (text: string) => createHash('sha256').update(text).digest('hex')
const TEST_CLIENTS = {
  ops: { secret_sha256: sha256hex(OPS_SECRET), scopes: ['config:read', 'config:write'] },
  reader: { secret_sha256: sha256hex(READER_SECRET), scopes: ['config:read'] },
}

export interface BuildOptions<D> {
  /** The pool the app works with. */
  db: Sql
  /** The pool the config is read through (the same unless a test points the app elsewhere). */
  configDb?: Sql
  log?: Logger
  /** Environment variables on top of the test defaults (a function's own ones, say). */
  env?: Record<string, string>
  /** Dependencies replaced after `prepare` (a fake provisioner, a limiter, fault hooks). */
  with?: Partial<D>
  /** The bus the app publishes on and, with `reconcileMs`, its config cache listens to. */
  bus?: MessageBus
  /** Keep the app's config current as a function's process does (hints, reconcile). */
  reconcileMs?: number
  /** A Redis command connection for the function (chat's ring buffer); none by default. */
  redis?: Redis
}

export interface Built<D> {
  app: Hono<AppEnv>
  deps: D
  /** The app's config cache: tests apply versions to it directly. */
  config: ConfigCache
  /** The key set the app's tokens are signed with and checked against. */
  keys: KeySet
  verifier: AccessTokenVerifier
  /** Its hot reload, when `reconcileMs` was given: stop it at the end of the test. */
  reload: Reload | undefined
}

export interface CallOptions {
  /** A user to call as (a token signed by the kit's key set); none → no Authorization. */
  as?: { id: string; handle: string } | null
  /** A whole Authorization header value, for machine and forged tokens. */
  authorization?: string
  /** Sent as JSON with `content-type: application/json`. */
  body?: unknown
  /** Sent as is (no JSON encoding, no content type unless given in headers). */
  raw?: string
  headers?: Record<string, string>
  /** The socket's peer address, as @hono/node-server passes it in the bindings. */
  address?: string
}

export interface Answer {
  status: number
  headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: test responses are checked field by field
  body: any
  text: string
}

export interface TestKit {
  readonly auth: TestAuth
  build<D>(
    // biome-ignore lint/suspicious/noExplicitAny: any function's config services and environment
    definition: FunctionDefinition<any, any, D>,
    options: BuildOptions<D>,
  ): Promise<Built<D>>
  /** build(), for the app alone. */
  app<D>(
    // biome-ignore lint/suspicious/noExplicitAny: any function's config services and environment
    definition: FunctionDefinition<any, any, D>,
    options: BuildOptions<D>,
  ): Promise<Hono<AppEnv>>
  call(app: Hono<AppEnv>, method: string, path: string, options?: CallOptions): Promise<Answer>
}

const quiet = createLogger('test', { level: 'silent' })

export function createTestKit(auth: TestAuth): TestKit {
  return {
    auth,
    async build(definition, options) {
      const fn = definition as AnyFunction
      const env = loadEnv(
        functionEnvSchema(fn),
        {
          DATABASE_URL: 'postgres://tenantry_app@127.0.0.1/tests',
          AUTH_ISSUER: TEST_ISSUER,
          AUTH_AUDIENCE: TEST_AUDIENCE,
          AUTH_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json', // never fetched here
          AUTH_SIGNING_KEY: auth.signingKeyPem,
          AUTH_CLIENTS: JSON.stringify(TEST_CLIENTS),
          CURSOR_SECRET: randomBytes(32).toString('base64url'),
          LOG_LEVEL: 'silent',
          ...options.env,
        },
        {
          exit: () => {
            throw new Error(`the test environment of ${fn.name} is not valid`)
          },
          write: () => {},
        },
      ) as FunctionEnv<never>
      const keys: KeySet = fn.keys ? await fn.keys(env) : auth.keys
      const log = options.log ?? quiet
      const config = new ConfigCache(options.configDb ?? options.db, fn.services, log)
      await config.load()
      const bus = options.bus ?? createInProcessBus({ log })
      const deps = await fn.prepare({
        db: options.db,
        config,
        verifier: auth.verifier,
        limiter: new InProcessRateLimiter(),
        log,
        cursorSecret: cursorSecretOf(env),
        // Apps built for tests count nothing; metrics have their own tests.
        metrics: undefined as never,
        env,
        keys,
        corsOrigins: [],
        bus,
        redis: options.redis,
      })
      Object.assign(deps as object, options.with)
      const reload =
        options.reconcileMs === undefined
          ? undefined
          : keepCurrent(config, { bus, log, reconcileMs: options.reconcileMs })
      return { app: fn.build(deps), deps, config, keys, verifier: auth.verifier, reload }
    },
    async app(definition, options) {
      return (await this.build(definition, options)).app
    },
    async call(app, method, path, options = {}) {
      const authorization = options.as ? await auth.bearer(options.as) : options.authorization
      return request(app, method, path, {
        ...options,
        ...(authorization === undefined ? {} : { authorization }),
      })
    },
  }
}

/** One request to an app as the Node adapter makes it; a caller's token must be given whole. */
export async function request(
  app: Hono<AppEnv>,
  method: string,
  path: string,
  options: Omit<CallOptions, 'as'> = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.authorization !== undefined) headers.authorization = options.authorization
  let body: string | undefined = options.raw
  if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  const bindings = { incoming: { socket: { remoteAddress: options.address ?? '192.0.2.10' } } }
  const res = await app.request(
    path,
    { method, headers, ...(body === undefined ? {} : { body }) },
    bindings,
  )
  const text = await res.text()
  let parsed: unknown = null
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    parsed = text
  }
  return { status: res.status, headers: res.headers, body: parsed, text }
}

/** A kit for the whole test file, made in beforeAll; its members are read at call time. */
export function useTestKit(): TestKit {
  let kit: TestKit | undefined
  beforeAll(async () => {
    kit = createTestKit(await createTestAuth())
  })
  const current = (): TestKit => {
    if (!kit) throw new Error('useTestKit(): the kit exists from beforeAll on')
    return kit
  }
  return {
    get auth() {
      return current().auth
    },
    build: (definition, options) => current().build(definition, options),
    app: (definition, options) => current().app(definition, options),
    call: (app, method, path, options) => current().call(app, method, path, options),
  }
}
