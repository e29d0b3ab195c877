import { LatencyRecorder } from './latency.ts'

/**
 * Closed loop: `concurrency` workers each run the operation back to back until the time
 * is up; the operations in flight at the deadline finish and count. An operation that
 * throws (or rejects) is an error: counted, its latency not recorded.
 */

export interface LoopOptions {
  concurrency: number
  durationMs: number
}

export interface LoopResult {
  ops: number
  errors: number
  /** From the first start to the last completion. */
  elapsedMs: number
  latencies: LatencyRecorder
  firstError: unknown
}

export async function runClosedLoop(
  operation: () => Promise<unknown>,
  { concurrency, durationMs }: LoopOptions,
): Promise<LoopResult> {
  const latencies = new LatencyRecorder()
  let ops = 0
  let errors = 0
  let firstError: unknown
  const started = performance.now()
  const deadline = started + durationMs
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now()
      try {
        await operation()
        latencies.record(performance.now() - t0)
        ops++
      } catch (error) {
        errors++
        firstError ??= error
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { ops, errors, elapsedMs: performance.now() - started, latencies, firstError }
}
