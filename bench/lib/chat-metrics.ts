import { getOnce } from './processes.ts'

/**
 * The chat function's own view of the fan-out, for `npm run bench:chat`: its histogram
 * `chat_fanout_latency_seconds` (from publishing a reply on the bus to writing it to a
 * stream, on the instance of that stream), summed over several processes' /metrics. Two
 * snapshots give the histogram of what happened between them (`since`).
 */

export interface Histogram {
  count: number
  /** Seconds. */
  sum: number
  /** Upper bound (seconds, Infinity for +Inf) → cumulative count. */
  buckets: Map<number, number>
}

const NAME = 'chat_fanout_latency_seconds'

export async function fanoutHistogram(ports: readonly number[]): Promise<Histogram> {
  const total: Histogram = { count: 0, sum: 0, buckets: new Map() }
  for (const port of ports) {
    const answer = await getOnce(port, '/metrics')
    if (answer.status !== 200) throw new Error(`GET /metrics on port ${port}: ${answer.status}`)
    for (const line of answer.body.split('\n')) {
      const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
      if (!match) continue
      const [, name, labels = '', raw] = match
      const value = Number(raw)
      if (name === `${NAME}_count`) total.count += value
      else if (name === `${NAME}_sum`) total.sum += value
      else if (name === `${NAME}_bucket`) {
        const le = /le="([^"]*)"/.exec(labels)?.[1]
        if (le === undefined) continue
        const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le)
        total.buckets.set(bound, (total.buckets.get(bound) ?? 0) + value)
      }
    }
  }
  return total
}

/** What `after` observed that `before` had not. */
export function since(after: Histogram, before: Histogram): Histogram {
  return {
    count: after.count - before.count,
    sum: after.sum - before.sum,
    buckets: new Map(
      [...after.buckets].map(([bound, n]) => [bound, n - (before.buckets.get(bound) ?? 0)]),
    ),
  }
}

/** The smallest bucket bound (ms) holding at least p % of the observations; NaN if none. */
export function percentileBound(histogram: Histogram, p: number): number {
  if (histogram.count === 0) return Number.NaN
  const bounds = [...histogram.buckets.keys()].sort((a, b) => a - b)
  for (const bound of bounds) {
    if ((histogram.buckets.get(bound) ?? 0) >= (p / 100) * histogram.count) return bound * 1000
  }
  return Number.POSITIVE_INFINITY
}
