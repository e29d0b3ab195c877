import { ApiError } from '#shared/http/errors.ts'
import { PageQuery, pageRequest, toPage } from '#shared/http/pagination.ts'
import { route } from '../deps.ts'
import { HistorySchema, serviceParam } from '../lib/config.ts'

interface Entry {
  version: number
  data: Record<string, unknown>
  updated_by: string
  updated_at: string
}
type Position = [version: number]

/** GET /v1/configs/{service}/history — `config:read`; every version, newest first. */
export const configHistory = route({
  method: 'get',
  path: '/v1/configs/:service/history',
  summary: "A service config's versions, newest first (keyset-paginated)",
  tag: 'config',
  auth: { scope: 'config:read' },
  query: PageQuery,
  response: { status: 200, description: 'A page of versions', schema: HistorySchema },
  errors: ['CONFIG_NOT_FOUND', 'INVALID_CURSOR'],
  async handler(c, deps) {
    const service = serviceParam(c.req.param('service'))
    const { limit, after } = pageRequest<Position>(c.req.query(), deps.cursorSecret)
    const [rows, exists] = await Promise.all([
      deps.db<Entry[]>`
        select version, data, updated_by, updated_at from config_history
         where service = ${service} ${after ? deps.db`and version < ${after[0]}` : deps.db``}
         order by version desc
         limit ${limit + 1}`,
      after
        ? Promise.resolve([1])
        : deps.db`select 1 from service_configs where service = ${service}`,
    ])
    if (exists.length === 0) throw new ApiError('CONFIG_NOT_FOUND')
    return c.json(toPage(rows, limit, (e): Position => [e.version], deps.cursorSecret))
  },
})
