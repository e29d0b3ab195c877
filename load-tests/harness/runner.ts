import { parseDuration } from '../lib/duration.ts'
import { CUSTOM_METRICS } from '../lib/metrics.ts'
import { type Scenario, vuStateFor } from '../lib/scenarios.ts'
import type { Settings } from '../lib/settings.ts'
import { type RampingVus, targetAt, totalMs } from '../lib/stages.ts'
import type { VuState } from '../lib/vu.ts'
import type { MetricStore } from './metric-store.ts'
import { Interrupted, nodeClient, type RequestObserver } from './node-client.ts'

/**
 * k6's `ramping-vus` executor in Node: a controller checks the plan every 50 ms and
 * starts VUs (the lowest-numbered idle one first, keeping its state, as k6 reuses its
 * VUs) or tells the highest-numbered to stop after their iteration; one still busy after
 * `gracefulRampDown` is interrupted. When the stages end, every VU is told to stop and
 * gets `gracefulStop` to finish. Each VU loops over the scenario's journey.
 */

const TICK_MS = 50

/** The metrics both tools record whatever the scenario, with k6's names and kinds. */
export function declareMetrics(store: MetricStore): void {
  store.declare('http_reqs', 'counter')
  store.declare('http_req_duration', 'trend', true)
  store.declare('http_req_failed', 'rate')
  store.declare('iterations', 'counter')
  store.declare('iteration_duration', 'trend', true)
  store.declare('checks', 'rate')
  store.declare('vus', 'gauge')
  store.declare('vus_max', 'gauge')
  store.declare('ws_sessions', 'counter')
  store.declare('ws_connecting', 'trend', true)
  store.declare('ws_msgs_sent', 'counter')
  store.declare('ws_msgs_received', 'counter')
  for (const [name, spec] of Object.entries(CUSTOM_METRICS))
    store.declare(name, spec.kind, spec.time)
}

export interface RunOptions {
  scenario: Scenario
  plan: RampingVus
  settings: Settings
  store: MetricStore
  observer: RequestObserver
  /** Told the number of running VUs at every tick. */
  onTick?: (activeVus: number) => void
}

export interface RunResult {
  /** From the start to the last VU done, graceful stop included. */
  durationMs: number
  vusMax: number
  iterations: number
  /** Iterations cut off by a graceful ramp-down or stop running out. */
  interrupted: number
  /** Iterations that threw (a bug in a journey, not an answer of the server). */
  failed: number
  firstFailure: unknown
}

interface Vu {
  state: VuState
  running: Promise<void> | undefined
  controller: AbortController
  stopRequested: boolean
  /** When a stop that is not yet done turns into an interruption. */
  interruptAt: number
}

export async function runScenario(options: RunOptions): Promise<RunResult> {
  const { scenario, plan, settings, store, observer } = options
  const result: RunResult = {
    durationMs: 0,
    vusMax: 0,
    iterations: 0,
    interrupted: 0,
    failed: 0,
    firstFailure: undefined,
  }
  const vus: Vu[] = []
  const started = performance.now()
  const stagesMs = totalMs(plan)
  const rampDownMs = parseDuration(plan.gracefulRampDown)
  const stopMs = parseDuration(plan.gracefulStop)

  const loop = async (vu: Vu) => {
    const ctx = {
      client: nodeClient({
        baseUrl: settings.baseUrl,
        store,
        signal: vu.controller.signal,
        observer,
      }),
      settings,
    }
    while (!vu.stopRequested) {
      const t0 = performance.now()
      try {
        await scenario.journey(ctx, vu.state)
        store.add('iterations', 1)
        store.add('iteration_duration', performance.now() - t0)
        result.iterations++
      } catch (error) {
        if (error instanceof Interrupted) {
          result.interrupted++
          break
        }
        result.failed++
        result.firstFailure ??= error
      }
      // An iteration can settle without any I/O (fetch rejects a port on the Fetch
      // standard's bad-port list at once, say): yield, so the controller's timers run.
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  const start = (vu: Vu) => {
    vu.stopRequested = false
    vu.interruptAt = Number.POSITIVE_INFINITY
    if (vu.controller.signal.aborted) vu.controller = new AbortController()
    const running = loop(vu).finally(() => {
      if (vu.running === running) vu.running = undefined
    })
    vu.running = running
  }
  const stop = (vu: Vu, graceMs: number, now: number) => {
    if (vu.stopRequested) return
    vu.stopRequested = true
    vu.interruptAt = now + graceMs
  }
  const active = () => vus.filter((vu) => vu.running && !vu.stopRequested)
  const enforce = (now: number) => {
    for (const vu of vus) {
      if (vu.running && vu.stopRequested && now >= vu.interruptAt) vu.controller.abort()
    }
  }

  for (let now = 0; now < stagesMs; now = performance.now() - started) {
    const target = targetAt(plan, now)
    let running = active()
    for (let i = 0; running.length < target && i <= vus.length; i++) {
      let vu = vus[i]
      if (!vu) {
        vu = {
          state: vuStateFor(scenario, plan),
          running: undefined,
          controller: new AbortController(),
          stopRequested: false,
          interruptAt: Number.POSITIVE_INFINITY,
        }
        vus.push(vu)
      }
      // A VU still finishing after a stop is busy: the next one starts instead.
      if (!vu.running) {
        start(vu)
        running = active()
      }
    }
    for (const vu of running.slice(target).reverse()) stop(vu, rampDownMs, now)
    enforce(now)
    result.vusMax = Math.max(result.vusMax, vus.length)
    const busy = vus.filter((vu) => vu.running).length
    store.add('vus', busy)
    options.onTick?.(busy)
    await new Promise((resolve) => setTimeout(resolve, TICK_MS))
  }

  const end = performance.now() - started
  for (const vu of vus) stop(vu, stopMs, end)
  // A VU on a ramp-down keeps its earlier deadline when that comes first.
  for (const vu of vus) vu.interruptAt = Math.min(vu.interruptAt, end + stopMs)
  while (vus.some((vu) => vu.running)) {
    enforce(performance.now() - started)
    options.onTick?.(vus.filter((vu) => vu.running).length)
    await Promise.race([
      Promise.all(vus.map((vu) => vu.running)),
      new Promise((resolve) => setTimeout(resolve, TICK_MS)),
    ])
  }
  store.add('vus_max', result.vusMax)
  result.durationMs = performance.now() - started
  return result
}
