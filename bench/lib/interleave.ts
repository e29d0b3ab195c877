import { runClosedLoop } from './closed-loop.ts'
import type { CpuMeter, CpuProbe } from './cpu.ts'
import { LatencyRecorder } from './latency.ts'

/**
 * Interleaving driver: warm every side up, then run the sides in turn for several rounds
 * (A B, B A, A B, …: the order rotates each round), each side at the same concurrency
 * for the same time. Drift on a shared machine (other jobs, CPU frequency, caches) then
 * spreads over every side instead of landing on whichever ran last.
 */

export interface Side {
  name: string
  operation: () => Promise<unknown>
  /** Before every run of this side (warm-up or measured), untimed: e.g. open a pool. */
  before?: () => Promise<void>
  /** After every run of this side, untimed: e.g. close what `before` opened. */
  after?: () => Promise<void>
}

export interface InterleaveOptions {
  rounds: number
  roundMs: number
  /** Per side, once, before the first round; not measured. */
  warmupMs: number
  /** Per side, before every measured run (after `before`); not measured. Default 0. */
  settleMs?: number
  concurrency: number
  /** CPU meters read around every measured run. */
  probes?: CpuProbe[]
  /** Progress lines (stderr by default). */
  log?: (line: string) => void
}

export interface SideResult {
  name: string
  ops: number
  errors: number
  elapsedMs: number
  /** Operations per second over all rounds. */
  throughput: number
  latencies: LatencyRecorder
  roundThroughputs: number[]
  /** CPU milliseconds per probe over all rounds (NaN when a probe cannot tell). */
  cpuMs: Record<string, number>
  firstError: unknown
}

export async function interleave(sides: Side[], options: InterleaveOptions): Promise<SideResult[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const probes = options.probes ?? []
  const results: SideResult[] = sides.map((side) => ({
    name: side.name,
    ops: 0,
    errors: 0,
    elapsedMs: 0,
    throughput: 0,
    latencies: new LatencyRecorder(),
    roundThroughputs: [],
    cpuMs: Object.fromEntries(probes.map((probe) => [probe.name, 0])),
    firstError: undefined,
  }))

  const loop = (side: Side, durationMs: number) =>
    runClosedLoop(side.operation, { concurrency: options.concurrency, durationMs })

  if (options.warmupMs > 0) {
    for (const side of sides) {
      await side.before?.()
      const warm = await loop(side, options.warmupMs)
      await side.after?.()
      log(`warm-up  ${side.name}: ${rate(warm.ops, warm.elapsedMs)} ops/s`)
    }
  }

  for (let round = 0; round < options.rounds; round++) {
    const order = sides.map((_, i) => (i + round) % sides.length)
    const line: string[] = []
    for (const index of order) {
      const side = sides[index] as Side
      const result = results[index] as SideResult
      await side.before?.()
      if (options.settleMs) await loop(side, options.settleMs)
      const meters: CpuMeter[] = await Promise.all(probes.map((probe) => probe.start()))
      const run = await loop(side, options.roundMs)
      const spent = await Promise.all(meters.map((meter) => meter()))
      await side.after?.()
      probes.forEach((probe, i) => {
        result.cpuMs[probe.name] = (result.cpuMs[probe.name] ?? 0) + (spent[i] ?? Number.NaN)
      })
      result.ops += run.ops
      result.errors += run.errors
      result.elapsedMs += run.elapsedMs
      result.latencies.addAll(run.latencies)
      result.roundThroughputs.push(rate(run.ops, run.elapsedMs))
      result.firstError ??= run.firstError
      line.push(`${side.name} ${rate(run.ops, run.elapsedMs)}`)
    }
    log(`round ${round + 1}/${options.rounds}  ${line.join('  ')} ops/s`)
  }

  for (const result of results) result.throughput = (result.ops * 1000) / result.elapsedMs
  return results
}

function rate(ops: number, ms: number): number {
  return Math.round((ops * 1000) / ms)
}
