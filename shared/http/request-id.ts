import { randomUUID } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from './app-env.ts'

const VALID = /^[A-Za-z0-9._-]{1,64}$/

/** API.md's request-id shape: 1–64 of [A-Za-z0-9._-]. */
export function isRequestId(value: string): boolean {
  return VALID.test(value)
}

/**
 * Keeps a valid inbound X-Request-Id (1–64 of [A-Za-z0-9._-]), otherwise generates one;
 * echoes it on the response and makes it available as `c.get('requestId')`.
 */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const inbound = c.req.header('x-request-id')
    const id = inbound !== undefined && isRequestId(inbound) ? inbound : randomUUID()
    c.set('requestId', id)
    c.header('X-Request-Id', id)
    await next()
  }
}
