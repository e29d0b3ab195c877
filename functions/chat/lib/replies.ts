import type { Redis } from 'ioredis'
import type { Reply, ReplyLog, Since } from './streams.ts'

/**
 * The chat's ring buffer and sequence (streams.ts `ReplyLog`): in Redis for replicas in a
 * cluster, in this process's memory for `npm start` without Redis. Both keep at most
 * `maxLength` replies per chat (the newest), and forget a chat `ttlSeconds` after its last
 * reply: the chat's idle timeout, after which the chat itself has expired and nobody can
 * resume it. Replies are kept nowhere else (DESIGN.md §5: no message storage).
 */

const DEFAULT_MAX_REPLIES = 200
/** The default chat idle timeout; pass the config's own to follow a change. */
const DEFAULT_REPLY_TTL_SECONDS = 1800

export interface ReplyLogOptions {
  /** Replies kept per chat; default 200. */
  maxLength?: number
  /** Seconds a chat's buffer outlives its last reply; a function to follow the config. */
  ttlSeconds?: number | (() => number)
}

/**
 * INCR, raised above the caller's floor, then ZADD, trim and both expiries in one atomic
 * step: concurrent appends from every replica get distinct, increasing numbers, and no key
 * is left without an expiry. A member is `<seq>:<json>`: unique per seq, and the reply's
 * JSON is kept byte for byte (cjson would re-encode numbers with 14 digits).
 */
const APPEND = `
local seq = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[1])
if seq <= floor then
  seq = floor + 1
  redis.call('SET', KEYS[1], seq)
end
redis.call('ZADD', KEYS[2], seq, seq .. ':' .. ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[3]) + 1))
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return seq
`

type RedisWithAppend = Redis & {
  tenantryChatAppend(
    seqKey: string,
    repliesKey: string,
    floor: number,
    body: string,
    maxLength: number,
    ttlSeconds: number,
  ): Promise<number>
}

/**
 * The keys of one chat. The braces are a hash tag: in a Redis (Valkey) cluster both keys
 * live in the same slot, which a script touching both needs.
 */
export function replyKeys(chatId: string): { seq: string; replies: string } {
  return { seq: `chat:{${chatId}}:seq`, replies: `chat:{${chatId}}:replies` }
}

function ttlOf(option: ReplyLogOptions['ttlSeconds']): () => number {
  if (typeof option === 'function') return option
  const fixed = option ?? DEFAULT_REPLY_TTL_SECONDS
  return () => fixed
}

/**
 * What `since` answers given the chat's current number and the replies held after
 * `after`, oldest first; shared by both implementations so that they cannot disagree.
 */
function answer(current: number, after: number, held: Reply[]): Since {
  // Nothing numbered after it (a fresh chat, or a client already up to date).
  if (after >= current) return []
  if (held[0]?.seq === after + 1) return held
  return { resync: true, replies: held }
}

export class RedisReplyLog implements ReplyLog {
  readonly #redis: RedisWithAppend
  readonly #maxLength: number
  readonly #ttl: () => number

  /** `redis`: the process's fail-fast command connection, so a Redis outage rejects at once. */
  constructor(redis: Redis, options: ReplyLogOptions = {}) {
    if (!('tenantryChatAppend' in redis)) {
      redis.defineCommand('tenantryChatAppend', { numberOfKeys: 2, lua: APPEND })
    }
    this.#redis = redis as RedisWithAppend
    this.#maxLength = options.maxLength ?? DEFAULT_MAX_REPLIES
    this.#ttl = ttlOf(options.ttlSeconds)
  }

  async append(chatId: string, reply: Omit<Reply, 'seq'>, floor = 0): Promise<Reply> {
    const keys = replyKeys(chatId)
    const body = JSON.stringify(reply)
    const seq = await this.#redis.tenantryChatAppend(
      keys.seq,
      keys.replies,
      Math.max(0, Math.floor(floor)),
      body,
      this.#maxLength,
      Math.max(1, Math.ceil(this.#ttl())),
    )
    return { seq: Number(seq), ...reply }
  }

  async latest(chatId: string): Promise<number> {
    return Number((await this.#redis.get(replyKeys(chatId).seq)) ?? 0)
  }

  async since(chatId: string, after: number): Promise<Since> {
    const keys = replyKeys(chatId)
    // One transaction: the number and the replies are read at the same instant.
    const results = await this.#redis
      .multi()
      .get(keys.seq)
      .zrangebyscore(keys.replies, `(${after}`, '+inf')
      .exec()
    if (!results) throw new Error('the reply buffer read was aborted')
    const [[seqError, seq], [rangeError, members]] = results as [
      [Error | null, string | null],
      [Error | null, string[]],
    ]
    if (seqError) throw seqError
    if (rangeError) throw rangeError
    return answer(Number(seq ?? 0), after, members.map(parseMember))
  }
}

function parseMember(member: string): Reply {
  const colon = member.indexOf(':')
  const reply = JSON.parse(member.slice(colon + 1)) as Omit<Reply, 'seq'>
  return { seq: Number(member.slice(0, colon)), ...reply }
}

interface Held {
  seq: number
  replies: Reply[]
  expiresAt: number
}

/**
 * The same buffer in memory (`npm start`, one process: every stream of a chat is here).
 * Expired chats are swept as others are appended to, so memory follows live chats.
 */
export class InProcessReplyLog implements ReplyLog {
  readonly #chats = new Map<string, Held>()
  readonly #maxLength: number
  readonly #ttl: () => number
  readonly #now: () => number

  constructor(options: ReplyLogOptions & { now?: () => number } = {}) {
    this.#maxLength = options.maxLength ?? DEFAULT_MAX_REPLIES
    this.#ttl = ttlOf(options.ttlSeconds)
    this.#now = options.now ?? Date.now
  }

  async append(chatId: string, reply: Omit<Reply, 'seq'>, floor = 0): Promise<Reply> {
    const now = this.#now()
    const chat = this.#live(chatId, now) ?? { seq: 0, replies: [], expiresAt: 0 }
    chat.seq = Math.max(chat.seq + 1, Math.floor(floor) + 1)
    // A copy, as Redis would hand back: a caller changing its object changes nothing here.
    const numbered: Reply = structuredClone({ seq: chat.seq, ...reply })
    chat.replies.push(numbered)
    if (chat.replies.length > this.#maxLength)
      chat.replies.splice(0, chat.replies.length - this.#maxLength)
    chat.expiresAt = now + Math.max(1, Math.ceil(this.#ttl())) * 1000
    // Re-inserted, so the map stays ordered by last activity and the sweep stops early.
    this.#chats.delete(chatId)
    this.#chats.set(chatId, chat)
    this.#sweep(now)
    return structuredClone(numbered)
  }

  async latest(chatId: string): Promise<number> {
    return this.#live(chatId, this.#now())?.seq ?? 0
  }

  async since(chatId: string, after: number): Promise<Since> {
    const chat = this.#live(chatId, this.#now())
    if (!chat) return answer(0, after, [])
    return answer(
      chat.seq,
      after,
      structuredClone(chat.replies.filter((reply) => reply.seq > after)),
    )
  }

  #live(chatId: string, now: number): Held | undefined {
    const chat = this.#chats.get(chatId)
    if (chat && chat.expiresAt <= now) {
      this.#chats.delete(chatId)
      return undefined
    }
    return chat
  }

  /** Oldest activity first: stops at the first chat still alive. */
  #sweep(now: number): void {
    for (const [chatId, chat] of this.#chats) {
      if (chat.expiresAt > now) return
      this.#chats.delete(chatId)
    }
  }
}
