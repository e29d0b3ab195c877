import { ApiError } from '#shared/http/errors.ts'
import { route } from '../deps.ts'
import { etag, type ServiceConfig, ServiceConfigSchema, serviceParam } from '../lib/config.ts'

/** GET /v1/configs/{service} — `config:read`; the current version, its ETag for If-Match. */
export const getConfig = route({
  method: 'get',
  path: '/v1/configs/:service',
  summary: "A service's current config; its ETag is the version to send in If-Match",
  tag: 'config',
  auth: { scope: 'config:read' },
  response: { status: 200, description: 'The config', schema: ServiceConfigSchema },
  errors: ['CONFIG_NOT_FOUND'],
  async handler(c, deps) {
    const service = serviceParam(c.req.param('service'))
    const [row] = await deps.db<ServiceConfig[]>`
      select service, version, data, updated_at, updated_by
        from service_configs where service = ${service}`
    if (!row) throw new ApiError('CONFIG_NOT_FOUND')
    return c.json(row, 200, { ETag: etag(row.version), 'Cache-Control': 'no-cache' })
  },
})
