import postgres, { type Sql } from 'postgres'
import { reconnectDelay } from '#shared/backoff.ts'

export type { Sql }

export interface ConnectOptions {
  /** Pool size (connections). */
  max?: number
  /**
   * Named prepared statements (default on). Behind PgBouncer in transaction mode, use
   * PgBouncer 1.21+ with max_prepared_statements set and keep this on; turn it off only
   * for an older PgBouncer. Off costs a round trip: postgres.js then describes every
   * parameterized statement before running it, which also breaks withUser's pipelining.
   */
  prepare?: boolean
  /** Where server NOTICEs go; dropped by default. */
  onNotice?: (notice: postgres.Notice) => void
}

/** The one place a PostgreSQL pool is created, so every function gets the same settings. */
export function connect(url: string, options: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    prepare: options.prepare ?? true,
    idle_timeout: 30,
    connect_timeout: 10,
    // postgres.js counts reconnection attempts in seconds, across the pool (backoff.ts).
    backoff: (retries: number) => reconnectDelay(retries) / 1000,
    onnotice: options.onNotice ?? (() => {}),
    // Sessions in UTC, so timestamps arrive as "… +00" and leave as RFC 3339 strings
    // with their full microsecond precision: JSON-ready, and exact enough to serve as
    // keyset cursors (a Date would cut them to milliseconds and repeat rows).
    connection: { TimeZone: 'UTC' },
    types: {
      timestamptz: {
        to: 1184,
        from: [1184],
        serialize: (value: Date | string) => (value instanceof Date ? value.toISOString() : value),
        parse: toRfc3339,
      },
    },
  })
}

const UTC_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\+00$/

/** PostgreSQL's `2026-11-27 04:00:00.123456+00` → `2026-11-27T04:00:00.123456Z`. */
export function toRfc3339(value: string): string {
  const utc = UTC_TIMESTAMP.exec(value)
  return utc ? `${utc[1]}T${utc[2]}Z` : new Date(value).toISOString()
}

/** Socket-level failures (Node's codes) and postgres.js's own connection errors. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
])

/**
 * True when an error means PostgreSQL could not be reached or dropped us, rather than
 * refusing the statement: class 08 (connection exception), 57P01–57P03 (shutdown,
 * crash, not accepting connections yet) and 53300 (too many connections). Such a
 * request may well succeed if retried, so it is answered 503, not 500.
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false
  const code = String((error as { code: unknown }).code)
  return (
    CONNECTION_CODES.has(code) ||
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '53300'
  )
}
