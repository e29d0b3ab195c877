import type { GenericSchema } from 'valibot'
import type { ErrorCode } from './errors.ts'

/**
 * What the OpenAPI document says about one route, declared beside its handler with the
 * same valibot schemas the handler validates with (docs/api/openapi.yaml is generated
 * from these: `npm run openapi`). Paths use Hono's `:param` syntax.
 */
export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete'
  path: string
  summary: string
  tag: string
  /** Who may call it: a user token, a machine token with a scope, or anyone. */
  auth: 'user' | { scope: string } | 'none'
  body?: GenericSchema
  query?: GenericSchema
  /** Accepts Idempotency-Key (POST routes that create something). */
  idempotent?: boolean
  response: { status: number; description: string; schema?: GenericSchema }
  /** The catalog codes this route answers with, besides the common ones. */
  errors: ErrorCode[]
}
