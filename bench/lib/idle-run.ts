import { setTimeout as sleep } from 'node:timers/promises'
import type { Child } from './processes.ts'
import { describeCloses, rssKib, SocketPool, type Target } from './ws-clients.ts'

/**
 * One side of the idle measurement of `npm run bench:chat`: a server process's resident
 * set before and after it holds `targets.length` idle WebSocket connections from this
 * process. First a warm-up: one window of connections opened, held a moment and dropped,
 * so that the code that handles a connection is loaded and compiled before the baseline
 * is read (a per-process cost, not a per-connection one). Then every connection, `window`
 * handshakes at a time; they are held `holdMs` (VmRSS read every second; the last reading
 * counts), and must all still be open at the end.
 */

export interface IdlePlan {
  child: Child
  targets: readonly Target[]
  window: number
  holdMs: number
}

export interface IdleResult {
  connections: number
  /** VmRSS in KiB: before the connections, at the end of the hold, and its highest. */
  rssBefore: number
  rssAfter: number
  rssPeak: number
  /** (rssAfter − rssBefore) / connections. */
  kibPerConnection: number
  /** Time from the first handshake to the last connection open, ms. */
  openMs: number
}

export async function runIdle(plan: IdlePlan): Promise<IdleResult> {
  const { child, targets } = plan
  const warm = new SocketPool()
  try {
    await warm.open(targets.slice(0, plan.window), plan.window)
    await sleep(500)
  } finally {
    await warm.terminateAll()
  }
  await sleep(1000)
  const rssBefore = rssKib(child.pid)

  const pool = new SocketPool()
  try {
    const started = performance.now()
    await pool.open(targets, plan.window)
    const openMs = performance.now() - started
    let rssAfter = rssKib(child.pid)
    let rssPeak = rssAfter
    const holdUntil = performance.now() + plan.holdMs
    while (performance.now() < holdUntil) {
      await sleep(Math.min(1000, Math.max(0, holdUntil - performance.now())))
      rssAfter = rssKib(child.pid)
      rssPeak = Math.max(rssPeak, rssAfter)
      if (child.done) throw new Error(`${child.name} exited while holding the connections`)
    }
    if (pool.closed > 0) {
      throw new Error(
        `${pool.closed} of ${targets.length} connections closed while held: ${describeCloses(pool.closedAfterOpen)}`,
      )
    }
    return {
      connections: targets.length,
      rssBefore,
      rssAfter,
      rssPeak,
      kibPerConnection: (rssAfter - rssBefore) / targets.length,
      openMs,
    }
  } finally {
    await pool.terminateAll()
  }
}
