/** Latency samples in milliseconds, with nearest-rank percentiles. */
export class LatencyRecorder {
  #samples: number[] = []
  #sorted = true

  record(ms: number): void {
    this.#samples.push(ms)
    this.#sorted = false
  }

  /** Adds every sample of another recorder (to pool the rounds of one side). */
  addAll(other: LatencyRecorder): void {
    for (const ms of other.#samples) this.#samples.push(ms)
    this.#sorted = false
  }

  get count(): number {
    return this.#samples.length
  }

  /** The p-th percentile (0 < p ≤ 100) by nearest rank; NaN without samples. */
  percentile(p: number): number {
    const n = this.#samples.length
    if (n === 0) return Number.NaN
    if (!this.#sorted) {
      this.#samples.sort((a, b) => a - b)
      this.#sorted = true
    }
    const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)))
    return this.#samples[rank - 1] as number
  }

  mean(): number {
    const n = this.#samples.length
    if (n === 0) return Number.NaN
    let sum = 0
    for (const ms of this.#samples) sum += ms
    return sum / n
  }
}
