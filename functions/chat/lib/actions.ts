import { randomInt } from 'node:crypto'
import type { ChatActionId } from '#shared/config/chat-actions.ts'
import type { ChatAction, ChatConfig } from '#shared/config/schemas.ts'

/**
 * The canned actions (DESIGN.md §5): what each one answers, from the catalog the chat
 * config holds right now. The config's schema admits only the actions implemented here
 * (shared/config/chat-actions.ts), and an action the catalog no longer lists is unknown
 * at once, whatever the code could do. Nothing a client sends is echoed back: a reply
 * holds the action's id and what the handler computed.
 */

export type ActionOutcome =
  | { ok: true; action: string; payload: Record<string, unknown> }
  | { ok: false; code: 'UNKNOWN_ACTION' | 'INVALID_FRAME' }

type Args = Record<string, number>
type Handler = (
  entry: ChatAction,
  args: Args,
  catalog: ChatConfig['actions'],
) => Record<string, unknown>

const HANDLERS: Record<ChatActionId, Handler> = {
  help: (_entry, _args, catalog) => ({
    actions: catalog.map(({ id, label, description }) => ({ id, label, description })),
  }),
  ping: () => ({ pong: true }),
  time: () => ({ now: new Date().toISOString() }),
  'roll-dice': (_entry, { count = 1, sides = 6 }) => {
    const faces = Array.from({ length: count }, () => randomInt(1, sides + 1))
    return { count, sides, faces, total: faces.reduce((sum, face) => sum + face, 0) }
  },
}

/** Runs `action` with `args` (a client's, unchecked) against the current catalog. */
export function runAction(
  catalog: ChatConfig['actions'],
  action: unknown,
  args: unknown,
): ActionOutcome {
  const entry = typeof action === 'string' ? catalog.find((a) => a.id === action) : undefined
  if (!entry) return { ok: false, code: 'UNKNOWN_ACTION' }
  const checked = checkArgs(entry, args)
  if (!checked) return { ok: false, code: 'INVALID_FRAME' }
  const handler = HANDLERS[entry.id as ChatActionId]
  return { ok: true, action: entry.id, payload: handler(entry, checked, catalog) }
}

/**
 * The arguments the catalog entry declares, each an integer within its bounds, the
 * default for one left out; undefined for anything else (another key, another type, an
 * array instead of an object).
 */
function checkArgs(entry: ChatAction, args: unknown): Args | undefined {
  const given = args ?? {}
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return undefined
  const declared = entry.args ?? {}
  const out: Args = {}
  for (const name of Object.keys(given)) if (!Object.hasOwn(declared, name)) return undefined
  for (const [name, spec] of Object.entries(declared)) {
    const value = (given as Record<string, unknown>)[name] ?? spec.default
    if (!Number.isInteger(value)) return undefined
    const n = value as number
    if (n < spec.minimum || n > spec.maximum) return undefined
    out[name] = n
  }
  return out
}
