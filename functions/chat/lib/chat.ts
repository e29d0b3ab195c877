import type { Sql } from 'postgres'
import * as v from 'valibot'
import { withUser } from '#shared/db/tenant.ts'
import { isUuid } from '#shared/ids.ts'

/**
 * A chat's metadata, the only thing of a chat PostgreSQL holds (no message is stored).
 * Row-level security gives a user their own chats only: another user's, even in the same
 * project, is not found. A chat expires when nothing happened in it for the config's
 * `idle_timeout_seconds`: `expires_at` slides forward with every action, and a chat past
 * it counts as expired at once (it frees its slot; the limit trigger ignores it too),
 * whether or not its status has been written yet.
 */
export interface Chat {
  id: string
  project_id: string
  user_id: string
  status: 'active' | 'closed' | 'expired'
  created_at: string
  expires_at: string
}

/** The API's view: the chat's user is the caller, so it is not shown. */
export type ChatView = Omit<Chat, 'user_id'>

export const ChatSchema = v.object({
  id: v.pipe(v.string(), v.uuid()),
  project_id: v.pipe(v.string(), v.uuid()),
  status: v.picklist(['active', 'closed', 'expired']),
  created_at: v.pipe(v.string(), v.isoTimestamp()),
  expires_at: v.pipe(v.string(), v.isoTimestamp()),
})

export const ChatListSchema = v.object({
  items: v.array(ChatSchema),
  next_cursor: v.nullable(v.string()),
})

export const chatView = ({ user_id: _, ...view }: Chat): ChatView => view

/** A Chat's columns, for `select ${tx(CHAT_COLUMNS)}` and `returning ${tx(CHAT_COLUMNS)}`. */
export const CHAT_COLUMNS = ['id', 'project_id', 'user_id', 'status', 'created_at', 'expires_at']

/** The caller's own chat if it is active and not past its expiry; undefined otherwise. */
export async function activeChatOf(
  db: Sql,
  userId: string,
  chatId: string,
): Promise<Chat | undefined> {
  if (!isUuid(chatId)) return undefined
  const [row] = await withUser(
    db,
    userId,
    (tx) => tx<Chat[]>`
      select ${tx(CHAT_COLUMNS)} from chat_sessions
       where id = ${chatId} and status = 'active' and expires_at > now()`,
  )
  return row
}

/**
 * Activity in the chat: its expiry slides to now + `idleSeconds`. Undefined when the chat
 * is not the caller's active one (closed, expired, another user's).
 */
export async function touchChat(
  db: Sql,
  userId: string,
  chatId: string,
  idleSeconds: number,
): Promise<Chat | undefined> {
  if (!isUuid(chatId)) return undefined
  const [row] = await withUser(
    db,
    userId,
    (tx) => tx<Chat[]>`
      update chat_sessions set expires_at = now() + make_interval(secs => ${idleSeconds})
       where id = ${chatId} and status = 'active' and expires_at > now()
      returning ${tx(CHAT_COLUMNS)}`,
  )
  return row
}
