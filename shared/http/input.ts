import type { Context } from 'hono'
import * as v from 'valibot'
import { issueLocation, safeIssueMessage } from '#shared/validation.ts'
import { ApiError } from './errors.ts'

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * The request body as JSON. The size limit was enforced before this (bodyLimit in the
 * platform, 413). A body in another media type → 415; unparseable JSON → 400
 * MALFORMED_JSON; no body at all → undefined, for the schema to call required.
 */
export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type')
  const text = await c.req.text()
  if (type === undefined && text.length === 0) return undefined
  if (type === undefined || !JSON_TYPE.test(type)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', { detail: 'Send the body as application/json.' })
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new ApiError('MALFORMED_JSON')
  }
}

export type InputRoot = 'body' | 'query' | 'path' | 'header'

/**
 * Parses input with its schema; failures become 400 VALIDATION_FAILED with one
 * `{ location, message }` per issue and never the input itself.
 */
export function parseInput<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  root: InputRoot,
): v.InferOutput<S> {
  const result = v.safeParse(schema, input, { message: safeIssueMessage })
  if (result.success) return result.output
  throw new ApiError('VALIDATION_FAILED', {
    errors: result.issues.map((issue) => ({
      location: issueLocation(root, issue),
      message: issue.message,
    })),
  })
}

/** readJson() then parseInput() against the body schema. */
export async function jsonBody<S extends v.GenericSchema>(
  c: Context,
  schema: S,
): Promise<v.InferOutput<S>> {
  return parseInput(schema, await readJson(c), 'body')
}
