import { setTimeout as sleep } from 'node:timers/promises'

/** Time as the wait sees it; tests hand in a virtual one so a 300 s timeout takes no time. */
export interface Clock {
  /** Milliseconds from an arbitrary origin. */
  now(): number
  sleep(ms: number): Promise<void>
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => sleep(ms),
}
