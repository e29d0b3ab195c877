import postgres, { type Sql } from 'postgres'

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
    onnotice: options.onNotice ?? (() => {}),
    // Timestamps leave as RFC 3339 strings and uuids as strings: JSON-ready, no Date churn.
    types: {
      timestamptz: {
        to: 1184,
        from: [1184],
        serialize: (value: Date | string) => (value instanceof Date ? value.toISOString() : value),
        parse: (value: string) => new Date(value).toISOString(),
      },
    },
  })
}
