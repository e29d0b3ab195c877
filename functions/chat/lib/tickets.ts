import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { TicketStore } from './streams.ts'

/**
 * One-time tickets for browser WebSockets (API.md: 30 s, one use, bound to the user and
 * the chat): a browser cannot send an Authorization header with a WebSocket, so it POSTs
 * for a ticket with its token and connects with `?ticket=`. The ticket is 32 random bytes
 * (base64url); what it is stored under never leaves the server, and it is never logged.
 */

export const TICKET_TTL_SECONDS = 30

/** A well-formed ticket: exactly what `newTicket()` makes (43 base64url characters). */
const TICKET_FORM = /^[A-Za-z0-9_-]{43}$/

function newTicket(): string {
  return randomBytes(32).toString('base64url')
}

/** What a ticket is stored with: the user it was issued to, for one chat. */
interface Binding {
  user: string
  chat: string
}

export class RedisTicketStore implements TicketStore {
  readonly #redis: Redis
  readonly #ttlSeconds: number

  /** `redis`: the process's fail-fast command connection. */
  constructor(redis: Redis, options: { ttlSeconds?: number } = {}) {
    this.#redis = redis
    this.#ttlSeconds = options.ttlSeconds ?? TICKET_TTL_SECONDS
  }

  async issue(userId: string, chatId: string): Promise<{ ticket: string; expires_in: number }> {
    const ticket = newTicket()
    const binding: Binding = { user: userId, chat: chatId }
    // NX: 256 random bits never collide, but if they did, no ticket would be overwritten.
    const set = await this.#redis.set(
      key(ticket),
      JSON.stringify(binding),
      'EX',
      this.#ttlSeconds,
      'NX',
    )
    if (set !== 'OK') throw new Error('a ticket could not be stored')
    return { ticket, expires_in: this.#ttlSeconds }
  }

  async redeem(ticket: string, chatId: string): Promise<string | undefined> {
    if (!TICKET_FORM.test(ticket)) return undefined
    // GETDEL: reading and deleting are one step, so of concurrent redeems one gets it.
    // A ticket presented for another chat is spent all the same: it was shown where it
    // does not belong, and must not be tried again.
    const stored = await this.#redis.getdel(key(ticket))
    return userOf(stored, chatId)
  }
}

function key(ticket: string): string {
  return `chat:ticket:${ticket}`
}

function userOf(stored: string | null | undefined, chatId: string): string | undefined {
  if (!stored) return undefined
  const binding = JSON.parse(stored) as Binding
  return binding.chat === chatId ? binding.user : undefined
}

/** The same in this process's memory (`npm start`); expired tickets are swept on issue. */
export class InProcessTicketStore implements TicketStore {
  readonly #tickets = new Map<string, Binding & { expiresAt: number }>()
  readonly #ttlSeconds: number
  readonly #now: () => number

  constructor(options: { ttlSeconds?: number; now?: () => number } = {}) {
    this.#ttlSeconds = options.ttlSeconds ?? TICKET_TTL_SECONDS
    this.#now = options.now ?? Date.now
  }

  async issue(userId: string, chatId: string): Promise<{ ticket: string; expires_in: number }> {
    const now = this.#now()
    // Insertion order is expiry order (one fixed lifetime): stop at the first live one.
    for (const [ticket, held] of this.#tickets) {
      if (held.expiresAt > now) break
      this.#tickets.delete(ticket)
    }
    const ticket = newTicket()
    this.#tickets.set(ticket, {
      user: userId,
      chat: chatId,
      expiresAt: now + this.#ttlSeconds * 1000,
    })
    return { ticket, expires_in: this.#ttlSeconds }
  }

  async redeem(ticket: string, chatId: string): Promise<string | undefined> {
    const held = this.#tickets.get(ticket)
    // Deleted before anything else and with no await in between: single use holds.
    this.#tickets.delete(ticket)
    if (!held || held.expiresAt <= this.#now() || held.chat !== chatId) return undefined
    return held.user
  }
}
