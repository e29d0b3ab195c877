import { LatencyRecorder } from '../../bench/lib/latency.ts'
import { formatDuration } from '../lib/duration.ts'

/**
 * The live progress line on stderr: elapsed of planned time, running VUs, requests, the
 * request rate and p95 over the last few seconds, and failures so far. On a terminal it
 * is one line redrawn in place; otherwise (CI, a pipe) a plain line every few seconds.
 */

const WINDOW_MS = 5_000
const TTY_EVERY_MS = 250
const PLAIN_EVERY_MS = 5_000

export class LiveStats {
  requests = 0
  failed = 0
  vus = 0
  /** [when (performance.now()), duration ms] of the recent answers. */
  readonly #recent: [number, number][] = []

  answered(durationMs: number, failed: boolean): void {
    this.requests++
    if (failed) this.failed++
    this.#recent.push([performance.now(), durationMs])
  }

  /** Requests per second and p95 (ms, nearest rank; NaN without answers) over the last WINDOW_MS. */
  window(now = performance.now()): { rate: number; p95: number } {
    let drop = 0
    while (drop < this.#recent.length && (this.#recent[drop]?.[0] ?? 0) < now - WINDOW_MS) drop++
    this.#recent.splice(0, drop)
    const latencies = new LatencyRecorder()
    for (const [, ms] of this.#recent) latencies.record(ms)
    return { rate: this.#recent.length / (WINDOW_MS / 1000), p95: latencies.percentile(95) }
  }
}

export interface Progress {
  /** Clears the live line (a terminal) so the summary starts on a clean line. */
  stop(): void
}

export function startProgress(
  stats: LiveStats,
  options: { label: string; plannedMs: number; stream: NodeJS.WriteStream },
): Progress {
  const { stream } = options
  const tty = stream.isTTY === true
  const started = performance.now()
  const line = () => {
    const elapsed = performance.now() - started
    const { rate, p95 } = stats.window()
    const share = stats.requests > 0 ? (100 * stats.failed) / stats.requests : 0
    return [
      options.label,
      `${formatDuration(Math.floor(elapsed / 1000) * 1000)}/${formatDuration(options.plannedMs)}`,
      `vus ${stats.vus}`,
      `requests ${stats.requests}`,
      `${rate.toFixed(1)}/s`,
      `p95 ${Number.isNaN(p95) ? '-' : `${p95.toFixed(1)} ms`}`,
      `errors ${stats.failed} (${share.toFixed(2)}%)`,
    ].join('  ')
  }
  const timer = setInterval(
    () => {
      if (tty) stream.write(`\r\x1b[2K${line()}`)
      else stream.write(`${line()}\n`)
    },
    tty ? TTY_EVERY_MS : PLAIN_EVERY_MS,
  )
  return {
    stop() {
      clearInterval(timer)
      if (tty) stream.write(`\r\x1b[2K${line()}\n`)
      else stream.write(`${line()}\n`)
    },
  }
}
