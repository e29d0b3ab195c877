/**
 * Rate limiting: a fixed window per (policy, subject). One interface, three
 * implementations: Redis (shared by every replica: one atomic script per check), in
 * process (the embedded default, and the fallback), and a fallback wrapper that keeps
 * limiting per replica while Redis is down instead of failing open or closed.
 */

export interface Policy {
  /** Names the limit in the RateLimit headers and the key, e.g. `guest-signin`. */
  name: string
  limit: number
  windowSeconds: number
}

export interface Decision {
  allowed: boolean
  limit: number
  remaining: number
  /** Seconds until the window resets (≥ 1). */
  resetSeconds: number
}

export interface RateLimiter {
  hit(policy: Policy, subject: string): Promise<Decision>
}

export function decide(policy: Policy, count: number, resetMs: number): Decision {
  return {
    allowed: count <= policy.limit,
    limit: policy.limit,
    remaining: Math.max(0, policy.limit - count),
    resetSeconds: Math.max(1, Math.ceil(resetMs / 1000)),
  }
}

/** Windows in this process's memory: exact for one process, per replica for several. */
export class InProcessRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, { count: number; resetsAt: number }>()
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  async hit(policy: Policy, subject: string): Promise<Decision> {
    const now = this.#now()
    const key = `${policy.name}:${subject}`
    let window = this.#windows.get(key)
    if (!window || window.resetsAt <= now) {
      this.#sweep(now)
      window = { count: 0, resetsAt: now + policy.windowSeconds * 1000 }
      this.#windows.set(key, window)
    }
    window.count++
    return decide(policy, window.count, window.resetsAt - now)
  }

  /** Drops expired windows so memory follows active subjects, not all-time ones. */
  #sweep(now: number): void {
    if (this.#windows.size < 10_000) return
    for (const [key, window] of this.#windows) {
      if (window.resetsAt <= now) this.#windows.delete(key)
    }
  }
}
