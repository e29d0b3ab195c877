import * as v from 'valibot'
import { route } from '../deps.ts'

const ArgSchema = v.object({
  type: v.literal('integer'),
  minimum: v.number(),
  maximum: v.number(),
  default: v.number(),
})

const CatalogSchema = v.object({
  items: v.array(
    v.object({
      id: v.string(),
      label: v.string(),
      description: v.string(),
      args: v.optional(v.record(v.string(), ArgSchema)),
    }),
  ),
})

/** GET /v1/chat/actions — any user; the catalog of the chat config, live. */
export const listActions = route({
  method: 'get',
  path: '/v1/chat/actions',
  summary: 'The chat actions a user can send',
  tag: 'chat',
  auth: 'user',
  response: { status: 200, description: 'The catalog', schema: CatalogSchema },
  errors: [],
  handler(c, deps) {
    const items = deps.config.get('chat').actions.map(({ id, label, description, args }) => ({
      id,
      label,
      description,
      ...(args ? { args } : {}),
    }))
    return c.json({ items })
  },
})
