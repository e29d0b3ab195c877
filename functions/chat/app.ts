import type { Hono } from 'hono'
import type { AppEnv } from '#shared/http/app-env.ts'
import { functionApp } from '#shared/http/mount.ts'
import type { ChatDeps } from './deps.ts'
import { chatEvents } from './routes/chat-events.ts'
import { chatWebSocket } from './routes/chat-ws.ts'
import { closeChat } from './routes/close-chat.ts'
import { createTicket } from './routes/create-ticket.ts'
import { listActions } from './routes/list-actions.ts'
import { listChats } from './routes/list-chats.ts'
import { openChat } from './routes/open-chat.ts'
import { sendAction } from './routes/send-action.ts'

/** The chat function's route table. */
export const CHAT_ROUTES = [
  listActions,
  openChat,
  listChats,
  closeChat,
  createTicket,
  sendAction,
  chatWebSocket,
  chatEvents,
]

/** The chat function's app. Opens no sockets and reads no environment. */
export function createChatApp(deps: ChatDeps): Hono<AppEnv> {
  return functionApp(CHAT_ROUTES, deps)
}
