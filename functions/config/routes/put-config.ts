import * as v from 'valibot'
import { publishTraced } from '#shared/bus/traced.ts'
import { configChannel, encodeHint } from '#shared/config/reload.ts'
import { type ConfigService, validateConfig } from '#shared/config/schemas.ts'
import { traceTransaction } from '#shared/db/tenant.ts'
import { currentClient } from '#shared/http/authenticate.ts'
import { ApiError } from '#shared/http/errors.ts'
import { route } from '../deps.ts'
import { etag, type ServiceConfig, ServiceConfigSchema, serviceParam } from '../lib/config.ts'

// The data itself is checked against its service's schema in the handler (CONFIG_INVALID).
const Body = v.object({
  data: v.pipe(
    v.unknown(),
    v.check((data) => data !== undefined, 'is required'),
  ),
})

/**
 * PUT /v1/configs/{service} — `config:write`. One transaction: the row locked, If-Match
 * checked against its version, the data checked against the service's schema, the
 * version bumped, `config_history` and `audit_log` appended with the client as the
 * author. After the commit, a hint on `config:<service>` tells every replica to read
 * the new version; a hint that cannot be sent is only logged, since replicas reconcile
 * from SQL anyway (DESIGN.md §4).
 *
 * The data is stored as sent, not as the schema returns it: schemas drop keys they do
 * not know, and a newer release's key must survive a write made through an older one.
 */
export const putConfig = route({
  method: 'put',
  path: '/v1/configs/:service',
  summary: "Replace a service's config; If-Match: the ETag of the version it replaces",
  tag: 'config',
  auth: { scope: 'config:write' },
  body: Body,
  example: { data: { max_projects_per_org: 50 } },
  response: { status: 200, description: 'The new version', schema: ServiceConfigSchema },
  errors: [
    'CONFIG_NOT_FOUND',
    'CONFIG_INVALID',
    'CONFIG_VERSION_CONFLICT',
    'PRECONDITION_REQUIRED',
  ],
  async handler(c, deps, { body }) {
    const client = currentClient(c, 'config:write')
    const service = serviceParam(c.req.param('service')) as ConfigService
    const expected = ifMatch(c.req.header('if-match'))
    const checked = validateConfig(service, body.data, 'body.data')
    const row = await traceTransaction('machine', undefined, () =>
      deps.db.begin(async (tx) => {
        const [current] = await tx<{ version: number }[]>`
        select version from service_configs where service = ${service} for update`
        if (!current) throw new ApiError('CONFIG_NOT_FOUND')
        if (expected !== '*' && !expected.includes(current.version)) {
          throw new ApiError('CONFIG_VERSION_CONFLICT', {
            detail: `The config is at version ${current.version}; read it again and retry.`,
            headers: { ETag: etag(current.version) },
          })
        }
        // After the version check: a stale write is a conflict whatever its data.
        if (!checked.success) {
          throw new ApiError('CONFIG_INVALID', { errors: checked.issues })
        }
        const data = tx.json(body.data as never)
        const [updated] = await tx<ServiceConfig[]>`
        update service_configs
           set version = version + 1, data = ${data}, updated_at = now(), updated_by = ${client.clientId}
         where service = ${service}
        returning service, version, data, updated_at, updated_by`
        const next = updated as ServiceConfig
        await tx`
        insert into config_history (service, version, data, updated_at, updated_by)
        values (${service}, ${next.version}, ${data}, ${next.updated_at}, ${client.clientId})`
        await tx`
        insert into audit_log (org_id, actor, action, target, details)
        values (null, ${`client:${client.clientId}`}, 'config.update', ${service},
                ${tx.json({ from_version: current.version, to_version: next.version })})`
        return next
      }),
    )
    const hint = { service, version: row.version, committed_at: (deps.now ?? Date.now)() }
    await publishTraced(deps.bus, configChannel(service), 'config', c.get('requestId'), (trace) =>
      encodeHint(trace ? { ...hint, trace } : hint),
    ).catch((error: unknown) => {
      c.get('log').warn(
        { err: error, service, version: row.version },
        'config hint not published; replicas will pick the version up when they reconcile',
      )
    })
    return c.json(row, 200, { ETag: etag(row.version) })
  },
})

/**
 * The versions If-Match names (`"3"`, or a list), or `*` for any. Weak tags never match:
 * If-Match compares strongly (RFC 9110 §13.1.1). Absent → 428; not entity tags → 400.
 */
function ifMatch(header: string | undefined): '*' | number[] {
  if (header === undefined || header.trim() === '') {
    throw new ApiError('PRECONDITION_REQUIRED', {
      detail: 'Send If-Match with the ETag of the version this replaces (GET it first).',
    })
  }
  if (header.trim() === '*') return '*'
  const versions: number[] = []
  for (const tag of header.split(',').map((part) => part.trim())) {
    const strong = /^"(\d{1,9})"$/.exec(tag)
    if (strong) versions.push(Number(strong[1]))
    else if (!/^W\/"[^"]*"$/.test(tag) && !/^"[^"]*"$/.test(tag)) {
      throw new ApiError('VALIDATION_FAILED', {
        errors: [
          {
            location: 'header.if-match',
            message: 'must be an entity tag such as "3", as GET sends in ETag',
          },
        ],
      })
    }
  }
  return versions
}
