/**
 * The canned chat actions the code implements, with the arguments each one reads. The
 * chat config's catalog may only offer these (schemas.ts refuses any other entry, at
 * write time and when a replica reads it), so clients are never offered an action that
 * nothing answers. The chat function's handler table implements exactly this list.
 */
export const CHAT_ACTIONS_IMPLEMENTED = {
  help: { args: [] },
  ping: { args: [] },
  time: { args: [] },
  'roll-dice': { args: ['count', 'sides'] },
} as const satisfies Record<string, { args: readonly string[] }>

export type ChatActionId = keyof typeof CHAT_ACTIONS_IMPLEMENTED

export function isImplementedAction(id: string): id is ChatActionId {
  return Object.hasOwn(CHAT_ACTIONS_IMPLEMENTED, id)
}
