import { route } from '../deps.ts'
import { ConfigListSchema } from '../lib/config.ts'

/** GET /v1/configs — `config:read`; every service with its current version. */
export const listConfigs = route({
  method: 'get',
  path: '/v1/configs',
  summary: 'Every service config, with its current version (machine tokens with config:read)',
  tag: 'config',
  auth: { scope: 'config:read' },
  response: { status: 200, description: 'The services', schema: ConfigListSchema },
  errors: [],
  async handler(c, deps) {
    // No tenant context: configs are platform-wide and their policy lets any reader in.
    const items = await deps.db<{ service: string; version: number; updated_at: string }[]>`
      select service, version, updated_at from service_configs order by service`
    return c.json({ items: [...items] })
  },
})
