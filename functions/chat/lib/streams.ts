/**
 * What the chat function's routes and its streams (WebSocket, SSE) share (DESIGN.md §5,
 * API.md "chat"). A reply gets the chat's next sequence number where the action ran,
 * is kept in a short ring buffer (Redis, or in-process in `npm start`) for resume, and
 * is published on the bus, so that every instance with a stream of that chat delivers
 * it. Each stream delivers replies in sequence order without gaps or duplicates: one
 * that arrives ahead of a missing one waits for it to be read from the buffer; one the
 * buffer no longer holds is announced as a `resync`.
 */

/** A reply to an action, as every stream of the chat receives it. */
export interface Reply {
  seq: number
  /** The client's id of the action frame, or the 202's id for a POSTed action. */
  in_reply_to: string
  action: string
  payload: Record<string, unknown>
}

/** The ring buffer and sequence of every chat. */
export interface ReplyLog {
  /**
   * Gives the reply the chat's next sequence number (above `floor`, the highest this
   * instance has seen, so that numbers never repeat after an outage of the buffer) and
   * keeps it, the buffer bounded in length and time.
   */
  append(chatId: string, reply: Omit<Reply, 'seq'>, floor?: number): Promise<Reply>
  /**
   * The replies after `after`, in order; `resync` when the buffer no longer holds the
   * one right after it (expired or pushed out), so the client is told, not left with a gap.
   */
  since(chatId: string, after: number): Promise<Since>
  /**
   * The chat's current sequence number (0 for a fresh chat): where a stream that asks
   * for no replay starts, so that it misses nothing numbered after it connected.
   */
  latest(chatId: string): Promise<number>
}

/**
 * `since()`'s answer. With `resync`, `replies` is what the buffer still holds after
 * `after` (oldest first, possibly none): a stream announces the gap, then goes on from
 * there instead of dropping what it could still deliver.
 */
export type Since = Reply[] | { resync: true; replies: Reply[] }

/** One-time tickets for browser WebSockets (API.md: 30 s, bound to user and chat). */
export interface TicketStore {
  issue(userId: string, chatId: string): Promise<{ ticket: string; expires_in: number }>
  /**
   * The user a ticket was issued to, for this chat: at most once, even when redeemed
   * concurrently; undefined once used, past its 30 s, for another chat, or unknown.
   */
  redeem(ticket: string, chatId: string): Promise<string | undefined>
}

/** What the REST routes ask of the streams side. */
export interface ChatStreams {
  /**
   * Delivers a reply to every open stream of the chat, on every instance: numbered and
   * kept (ReplyLog), then published on the bus; with Redis down, to this instance's
   * streams (logged once, counted in metrics). Resolves with the numbered reply.
   * `expiresAt`: the chat's new `expires_at` after the action (touchChat's), so that every
   * instance slides the expiry of its streams of the chat.
   */
  publish(
    chatId: string,
    reply: Omit<Reply, 'seq'>,
    options?: { expiresAt?: string },
  ): Promise<Reply>
  /** The chat was closed or expired: its streams, on every instance, close with 4404. */
  closeChat(chatId: string): Promise<void>
}
