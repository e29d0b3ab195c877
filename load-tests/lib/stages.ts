import { formatDuration, parseDuration } from './duration.ts'

/**
 * The load shape of a scenario, in the terms of k6's `ramping-vus` executor: `startVUs`
 * at the start, then each stage moves the number of virtual users linearly to its target
 * over its duration. VUs told to stop on a ramp-down finish their iteration within
 * `gracefulRampDown`; at the end, running iterations get `gracefulStop`. The k6 scripts
 * pass this to k6 as it is; the Node harness runs it with the same meaning.
 */

export interface Stage {
  readonly duration: string
  readonly target: number
}

export interface RampingVus {
  readonly startVUs: number
  readonly stages: readonly Stage[]
  readonly gracefulRampDown: string
  readonly gracefulStop: string
}

/** The length of the stages (without the graceful stop). */
export function totalMs(plan: RampingVus): number {
  let ms = 0
  for (const stage of plan.stages) ms += parseDuration(stage.duration)
  return ms
}

/** The most VUs the plan ever asks for. */
export function maxVus(plan: RampingVus): number {
  let max = plan.startVUs
  for (const stage of plan.stages) max = Math.max(max, stage.target)
  return max
}

/**
 * How many VUs should be running `elapsedMs` after the start. On a ramp up a VU joins
 * once the line reaches its number (floor), on a ramp down it leaves once the line drops
 * below it (ceil), so a ramp from 0 to n starts all n only at its end, and back.
 */
export function targetAt(plan: RampingVus, elapsedMs: number): number {
  let from = plan.startVUs
  let start = 0
  for (const stage of plan.stages) {
    const length = parseDuration(stage.duration)
    if (elapsedMs < start + length) {
      const line = from + ((stage.target - from) * (elapsedMs - start)) / length
      return stage.target >= from ? Math.floor(line) : Math.ceil(line)
    }
    from = stage.target
    start += length
  }
  return from
}

export interface Scale {
  /** The plan's peak becomes this many VUs; every target in proportion. */
  vus?: number
  /** The stages together last this long; every stage in proportion. */
  durationMs?: number
}

/**
 * The same shape at another size or length (`--vus`, `--duration`): targets scaled so
 * the peak is `vus` (a stage with VUs keeps at least one), durations so they add up to
 * `durationMs` exactly (rounded on the running sum, so no rounding error accumulates).
 */
export function scalePlan(plan: RampingVus, scale: Scale): RampingVus {
  const peak = maxVus(plan)
  const vusFactor = scale.vus === undefined || peak === 0 ? 1 : scale.vus / peak
  const vus = (n: number) => (n === 0 ? 0 : Math.max(1, Math.round(n * vusFactor)))
  const total = totalMs(plan)
  const timeFactor = scale.durationMs === undefined || total === 0 ? 1 : scale.durationMs / total
  let sum = 0
  let endBefore = 0
  const stages = plan.stages.map((stage) => {
    sum += parseDuration(stage.duration)
    const end = Math.round(sum * timeFactor)
    const scaled = { duration: formatDuration(end - endBefore), target: vus(stage.target) }
    endBefore = end
    return scaled
  })
  return { ...plan, startVUs: vus(plan.startVUs), stages }
}
