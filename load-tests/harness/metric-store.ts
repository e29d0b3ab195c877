import type { MetricKind } from '../lib/metrics.ts'

/**
 * The harness's samples, kept as k6 keeps them: per metric, one series per distinct tag
 * set, so that `http_req_duration{route:POST /v1/orgs}` is the merge of every series
 * whose tags include `route=POST /v1/orgs`. Trends keep every value (percentiles are
 * exact); counters a sum; rates the non-zero and total counts; gauges the last value.
 */

export type Tags = Readonly<Record<string, string>>

interface Series {
  tags: Tags
  /** A trend's or gauge's values (for percentiles, min and max); none for the rest. */
  values: number[]
  count: number
  sum: number
  nonZero: number
  last: number
}

interface Metric {
  kind: MetricKind
  /** Values are milliseconds (printed as durations). */
  time: boolean
  series: Map<string, Series>
}

export class Aggregate {
  readonly kind: MetricKind
  readonly time: boolean
  readonly #values: number[]
  /** Samples added (a counter's or rate's too). */
  readonly samples: number
  readonly sum: number
  readonly nonZero: number
  readonly last: number

  constructor(metric: Metric, series: readonly Series[]) {
    this.kind = metric.kind
    this.time = metric.time
    this.#values = series.flatMap((s) => s.values).sort((a, b) => a - b)
    this.samples = series.reduce((n, s) => n + s.count, 0)
    this.sum = series.reduce((n, s) => n + s.sum, 0)
    this.nonZero = series.reduce((n, s) => n + s.nonZero, 0)
    this.last = series.at(-1)?.last ?? 0
  }

  /** A counter's total; every other kind's number of samples. */
  get count(): number {
    return this.kind === 'counter' ? this.sum : this.samples
  }

  /** A rate's share of non-zero samples; a counter's total per second of `durationS`. */
  rate(durationS: number): number {
    if (this.kind === 'counter') return durationS > 0 ? this.sum / durationS : 0
    return this.samples > 0 ? this.nonZero / this.samples : 0
  }

  // Empty trends read 0 everywhere, as k6's do, so a threshold on one is evaluated too.
  avg(): number {
    return this.samples > 0 ? this.sum / this.samples : 0
  }

  min(): number {
    return this.#values[0] ?? 0
  }

  max(): number {
    return this.#values.at(-1) ?? 0
  }

  /**
   * The p-th percentile (0–100) as k6 computes it: linear interpolation between the two
   * closest ranks of the sorted values.
   */
  percentile(p: number): number {
    const n = this.#values.length
    if (n === 0) return 0
    const i = (p / 100) * (n - 1)
    const lower = this.#values[Math.floor(i)] as number
    const upper = this.#values[Math.ceil(i)] as number
    return lower + (upper - lower) * (i - Math.floor(i))
  }
}

export class MetricStore {
  readonly #metrics = new Map<string, Metric>()

  /** Declares a metric; adding to an undeclared one is a programming error. */
  declare(name: string, kind: MetricKind, time = false): void {
    if (!this.#metrics.has(name)) this.#metrics.set(name, { kind, time, series: new Map() })
  }

  kindOf(name: string): MetricKind | undefined {
    return this.#metrics.get(name)?.kind
  }

  names(): string[] {
    return [...this.#metrics.keys()]
  }

  add(name: string, value: number, tags: Tags = {}): void {
    const metric = this.#metrics.get(name)
    if (!metric) throw new Error(`metric ${name} was not declared`)
    const key = tagKey(tags)
    let series = metric.series.get(key)
    if (!series) {
      series = { tags: { ...tags }, values: [], count: 0, sum: 0, nonZero: 0, last: 0 }
      metric.series.set(key, series)
    }
    // Counters and rates need no values, only how many, their sum and the non-zero ones.
    if (metric.kind === 'trend' || metric.kind === 'gauge') series.values.push(value)
    series.count++
    series.sum += value
    if (value !== 0) series.nonZero++
    series.last = value
  }

  /** Every series of `name` whose tags include `filter`, merged; undefined if undeclared. */
  aggregate(name: string, filter: Tags = {}): Aggregate | undefined {
    const metric = this.#metrics.get(name)
    if (!metric) return undefined
    const wanted = Object.entries(filter)
    const matching = [...metric.series.values()].filter((series) =>
      wanted.every(([tag, value]) => series.tags[tag] === value),
    )
    return new Aggregate(metric, matching)
  }

  /** The values a tag takes in a metric's series, sorted. */
  tagValues(name: string, tag: string): string[] {
    const values = new Set<string>()
    for (const series of this.#metrics.get(name)?.series.values() ?? []) {
      const value = series.tags[tag]
      if (value !== undefined) values.add(value)
    }
    return [...values].sort()
  }
}

function tagKey(tags: Tags): string {
  return JSON.stringify(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
