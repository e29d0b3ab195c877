import * as v from 'valibot'
import type { Reply } from './streams.ts'

/** A sequence number in a query or header: a whole number a client got from us. */
export const SeqSchema = v.pipe(
  v.string(),
  v.regex(/^\d{1,16}$/, 'must be a sequence number'),
  v.transform(Number),
  v.maxValue(Number.MAX_SAFE_INTEGER, 'must be a sequence number'),
)

/**
 * The chat's frames (API.md "chat"), for both transports: a WebSocket sends each as one
 * JSON text message, SSE as the `data:` of an event. A client sends only action frames;
 * anything else is refused with an error frame that never echoes what was sent (the
 * client's `id` is given back only when it has the form of one).
 */

/** A client frame's largest size (bytes); the WebSocket server's limit sits just above. */
export const MAX_CLIENT_FRAME_BYTES = 4096

export type ErrorCode = 'UNKNOWN_ACTION' | 'INVALID_FRAME' | 'RATE_LIMITED'

type ReplyFrame = { type: 'reply' } & Reply
export interface ErrorFrame {
  type: 'error'
  in_reply_to?: string
  code: ErrorCode
}
/**
 * Replies up to `after` may have been missed (the buffer no longer holds them): the
 * client reloads what it shows. The next reply on the stream is `after + 1`, and a client
 * that reconnects resumes with `after`.
 */
interface ResyncFrame {
  type: 'resync'
  after: number
}
export type ServerFrame = ReplyFrame | ErrorFrame | ResyncFrame

/** How a stream ends (API.md close codes), for both transports. */
export const CLOSE = {
  normal: 1000,
  authFailed: 1008,
  restarting: 1012,
  tooSlow: 1013,
  chatNotFound: 4404,
  tooManyConnections: 4429,
} as const
export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE]

/** The close reasons sent with each code: fixed text, never anything from the client. */
export const CLOSE_REASONS: Record<CloseCode, string> = {
  1000: 'closed',
  1008: 'authentication failed',
  1012: 'server restarting; reconnect and resume',
  1013: 'too slow to keep up; reconnect and resume',
  4404: 'chat not found, closed or expired',
  4429: 'too many connections',
}

export function replyFrame(reply: Reply): ReplyFrame {
  return {
    type: 'reply',
    in_reply_to: reply.in_reply_to,
    action: reply.action,
    seq: reply.seq,
    payload: reply.payload,
  }
}

export function errorFrame(code: ErrorCode, inReplyTo?: string): ErrorFrame {
  return inReplyTo === undefined
    ? { type: 'error', code }
    : { type: 'error', in_reply_to: inReplyTo, code }
}

interface ActionFrame {
  type: 'action'
  id: string
  action: string
  args?: unknown
}

/** A client's id for its action: the same form as a request id (API.md). */
const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/
const ACTION_KEYS = new Set(['type', 'id', 'action', 'args'])

export type ParsedFrame =
  | { ok: true; frame: ActionFrame }
  | { ok: false; in_reply_to?: string; code: 'INVALID_FRAME' }

/**
 * A client message as an action frame, or why not: binary, too large, not JSON, not an
 * object, another type, an extra key, a missing or malformed id or action.
 */
export function parseClientFrame(data: unknown): ParsedFrame {
  const invalid = (in_reply_to?: string): ParsedFrame =>
    in_reply_to === undefined
      ? { ok: false, code: 'INVALID_FRAME' }
      : { ok: false, in_reply_to, code: 'INVALID_FRAME' }
  // ws hands text as a string, binary as bytes.
  if (typeof data !== 'string') return invalid()
  if (Buffer.byteLength(data) > MAX_CLIENT_FRAME_BYTES) return invalid()
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    return invalid()
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalid()
  const frame = value as Record<string, unknown>
  const id = typeof frame.id === 'string' && CLIENT_ID.test(frame.id) ? frame.id : undefined
  if (id === undefined) return invalid()
  if (frame.type !== 'action') return invalid(id)
  if (Object.keys(frame).some((key) => !ACTION_KEYS.has(key))) return invalid(id)
  // The catalog decides whether it is an action (UNKNOWN_ACTION); here only its form.
  if (typeof frame.action !== 'string' || frame.action.length > 64) return invalid(id)
  return {
    ok: true,
    frame: {
      type: 'action',
      id,
      action: frame.action,
      ...(frame.args === undefined ? {} : { args: frame.args }),
    },
  }
}
