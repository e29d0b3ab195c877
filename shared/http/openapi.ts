import { toJsonSchema } from '@valibot/to-json-schema'
import type { GenericSchema } from 'valibot'
import { ERROR_CATALOG, type ErrorCode } from './errors.ts'
import type { RouteSpec } from './route.ts'

/**
 * OpenAPI 3.1 from the route specs and their valibot schemas. Error responses are
 * derived from the one error catalog: a route lists its codes, the document groups them
 * by status, each with the problem+json schema.
 */

type Json = Record<string, unknown>

/** Codes every authenticated or body-taking route may answer with. */
function commonErrors(spec: RouteSpec): ErrorCode[] {
  // UNAVAILABLE: the database (or, for a token, the key set) could not be reached.
  const codes: ErrorCode[] = ['INTERNAL', 'UNAVAILABLE']
  if (spec.auth !== 'none') codes.push('UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED')
  if (spec.body)
    codes.push('VALIDATION_FAILED', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE')
  if (spec.query) codes.push('VALIDATION_FAILED')
  if (spec.idempotent) codes.push('IDEMPOTENCY_KEY_IN_USE', 'IDEMPOTENCY_KEY_REUSED')
  return codes
}

export function schemaOf(schema: GenericSchema): Json {
  const { $schema: _drop, ...json } = toJsonSchema(schema, { errorMode: 'ignore' }) as Json
  return json
}

export function openApiDocument(
  info: { title: string; version: string; description: string },
  specs: RouteSpec[],
): Json {
  const paths: Record<string, Json> = {}
  for (const spec of [...specs].sort(
    (a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method),
  )) {
    const path = spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    const params = [...spec.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }))
    const query = spec.query ? queryParameters(spec.query) : []
    const headers = spec.idempotent
      ? [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            schema: { type: 'string', minLength: 1, maxLength: 255 },
          },
        ]
      : []
    const operation: Json = {
      operationId: `${spec.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string) => (c ? c.toUpperCase() : ''))}`,
      summary: spec.summary,
      tags: [spec.tag],
      ...(spec.auth === 'none' ? { security: [] } : {}),
      ...(params.length + query.length + headers.length
        ? { parameters: [...params, ...query, ...headers] }
        : {}),
      ...(spec.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: schemaOf(spec.body),
                  ...(spec.example === undefined ? {} : { example: spec.example }),
                },
              },
            },
          }
        : {}),
      responses: {
        [spec.response.status]: {
          description: spec.response.description,
          ...(spec.response.schema
            ? { content: { 'application/json': { schema: schemaOf(spec.response.schema) } } }
            : {}),
        },
        ...errorResponses([...new Set([...spec.errors, ...commonErrors(spec)])]),
      },
    }
    paths[path] = { ...(paths[path] ?? {}), [spec.method]: operation }
  }
  return {
    openapi: '3.1.0',
    info: { ...info, license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' } },
    servers: [{ url: '/', description: 'The API host (http://localhost:8080 under npm start)' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: PROBLEM },
    },
  }
}

function queryParameters(schema: GenericSchema): Json[] {
  const json = schemaOf(schema) as { properties?: Record<string, Json>; required?: string[] }
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }))
}

function errorResponses(codes: ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of codes) {
    const { status } = ERROR_CATALOG[code]
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  return Object.fromEntries(
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, list]) => [
        String(status),
        {
          description: list.sort().join(', '),
          content: {
            'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
          },
        },
      ]),
  )
}

const PROBLEM: Json = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is from the error catalog.',
  required: ['type', 'title', 'status', 'code', 'request_id'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', enum: Object.keys(ERROR_CATALOG) },
    request_id: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['location', 'message'],
        properties: { location: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
}
