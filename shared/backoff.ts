/**
 * The wait before reconnecting to PostgreSQL or Redis, in ms, for the `attempt`th try
 * (1, 2, …): 50 ms doubling, at most 1 s, forever. Both clients' own defaults grow far
 * longer (ioredis to 5 s; postgres.js to 20 s, counted across the whole pool, so a
 * restart that drops ten connections puts every request 10–20 s behind a database that
 * was back in a quarter of a second). A replica holds few connections, so retrying each
 * once a second while the server is away costs it nothing.
 */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.max(attempt - 1, 0), 1000)
}
