import type { Context, MiddlewareHandler } from 'hono'
import type * as v from 'valibot'
import type { AppEnv } from './app-env.ts'
import type { ErrorCode } from './errors.ts'

/**
 * One endpoint, written once: its path, method, who may call it, its input and output
 * schemas and its handler. The mounting (mount.ts) derives the middleware from these
 * fields (authentication, the caller's rate limit, body validation, Idempotency-Key) and
 * the OpenAPI document (openapi.ts) is generated from the very same fields, so the
 * document cannot say one thing while the route does another. Paths use Hono's `:param`.
 */

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** Who may call it: a user token, a machine token with a scope, or anyone. */
export type RouteAuth = 'user' | { scope: string } | 'none'

export interface RouteSpec {
  method: Method
  path: string
  summary: string
  tag: string
  auth: RouteAuth
  /** The JSON body's schema: validated before the handler runs (400 on failure). */
  body?: v.GenericSchema
  /** A valid body, shown in the OpenAPI document and sent by the route matrices. */
  example?: unknown
  query?: v.GenericSchema
  /** Accepts Idempotency-Key (POST routes that create something). */
  idempotent?: boolean
  response: { status: number; description: string; schema?: v.GenericSchema }
  /** The catalog codes this route answers with, besides the common ones. */
  errors: ErrorCode[]
}

/** What the mounting hands the handler besides the context: the validated body. */
export interface RouteInput<B> {
  body: B extends v.GenericSchema ? v.InferOutput<B> : undefined
}

export interface Route<D, P extends string = string, B = v.GenericSchema | undefined>
  extends RouteSpec {
  path: P
  body?: B & v.GenericSchema
  /** Middleware of this route alone, after authentication and the caller's rate limit. */
  use?: (deps: D) => MiddlewareHandler<AppEnv>[]
  // A method, so that routes with different paths fit in one list of Route<D>.
  handler(c: Context<AppEnv, P>, deps: D, input: RouteInput<B>): Response | Promise<Response>
}

/**
 * `const route = defineRoute<ProjectsDeps>()` in a function, then `route({ … })` per
 * endpoint: the path's parameters and the body's type flow into the handler.
 */
export function defineRoute<D>() {
  return <P extends string, B extends v.GenericSchema | undefined = undefined>(
    route: Route<D, P, B>,
  ): Route<D> => route as unknown as Route<D>
}
