import type { Client } from './client.ts'

/**
 * Keeps one rate-limit subject under its limit: the API counts authenticated requests
 * per user (or machine client) in a fixed window, 600 a minute by default (API.md), and
 * says so on every answer (`RateLimit-Policy: "authenticated";q=600;w=60`). A VU spaces
 * its requests to a share of that — learnt from the header, so a limit changed by config
 * is followed — and a 429 on these routes then means the server counted wrong: it is a
 * failure, not load. The think time between requests comes from this and nothing else.
 */

/** The share of the limit a subject uses: room for clock skew between window and client. */
export const LIMIT_SHARE = 0.75

const DEFAULT_POLICY = { limit: 600, windowSeconds: 60 }

export interface Pacer {
  /** Waits until the subject may send its next request. */
  wait(client: Client): Promise<void>
  /** Reads the policy off an answer's headers. */
  learn(headers: Readonly<Record<string, string>>): void
}

/** `sharers`: how many VUs use the same subject (all of `config`'s share one client). */
export function createPacer(sharers = 1): Pacer {
  let intervalMs = 0
  const follow = (limit: number, windowSeconds: number) => {
    intervalMs = (windowSeconds * 1000 * Math.max(1, sharers)) / (limit * LIMIT_SHARE)
  }
  follow(DEFAULT_POLICY.limit, DEFAULT_POLICY.windowSeconds)
  let nextAt = Number.NEGATIVE_INFINITY
  return {
    async wait(client) {
      const now = client.now()
      if (nextAt > now) await client.sleep(nextAt - now)
      nextAt = Math.max(now, nextAt) + intervalMs
    },
    learn(headers) {
      const policy = headers['ratelimit-policy']
      const limit = policy ? /;\s*q=(\d+)/.exec(policy) : null
      const window = policy ? /;\s*w=(\d+)/.exec(policy) : null
      if (limit && window && Number(limit[1]) > 0) follow(Number(limit[1]), Number(window[1]))
    },
  }
}
