import { describe, expect, it } from 'vitest'
import type { Scenario } from '../lib/scenarios.ts'
import { settingsFrom } from '../lib/settings.ts'
import type { JourneyContext } from '../lib/vu.ts'
import { MetricStore } from './metric-store.ts'
import { declareMetrics, runScenario } from './runner.ts'

/** The executor alone: journeys that touch no network, timed on the real clock. */

function scenarioOf(journey: Scenario['journey'], plan: Scenario['plan']): Scenario {
  return {
    name: 'smoke',
    summary: 'test',
    journey,
    sharedSubject: false,
    plan,
    thresholds: {},
  }
}

async function run(scenario: Scenario) {
  const store = new MetricStore()
  declareMetrics(store)
  const result = await runScenario({
    scenario,
    plan: scenario.plan,
    settings: settingsFrom({ BASE_URL: 'http://127.0.0.1:9' }),
    store,
    observer: { answered() {}, unexpected() {} },
  })
  return { result, store }
}

describe('the ramping-vus runner', () => {
  it('follows the stages: up to the peak, held, down to none', async () => {
    let running = 0
    let peak = 0
    const seen: number[] = []
    const journey = async ({ client }: JourneyContext) => {
      running++
      peak = Math.max(peak, running)
      seen.push(running)
      await client.sleep(20)
      running--
    }
    const { result, store } = await run(
      scenarioOf(journey, {
        startVUs: 0,
        stages: [
          { duration: '300ms', target: 4 },
          { duration: '400ms', target: 4 },
          { duration: '300ms', target: 0 },
        ],
        gracefulRampDown: '1s',
        gracefulStop: '1s',
      }),
    )
    expect(peak).toBe(4)
    expect(result.vusMax).toBe(4)
    expect(result.interrupted).toBe(0)
    expect(result.iterations).toBe(seen.length)
    expect(store.aggregate('iterations')?.count).toBe(result.iterations)
    // Roughly 4 VUs × 400 ms / 20 ms at the plateau, plus the ramps.
    expect(result.iterations).toBeGreaterThan(60)
    expect(result.durationMs).toBeLessThan(1_500)
  })

  it('interrupts an iteration that outlasts the graceful stop', async () => {
    const journey = async ({ client }: JourneyContext) => {
      await client.sleep(60_000)
    }
    const { result } = await run(
      scenarioOf(journey, {
        startVUs: 2,
        stages: [{ duration: '200ms', target: 2 }],
        gracefulRampDown: '1s',
        gracefulStop: '300ms',
      }),
    )
    expect(result.iterations).toBe(0)
    expect(result.interrupted).toBe(2)
    expect(result.durationMs).toBeGreaterThanOrEqual(480)
    expect(result.durationMs).toBeLessThan(1_500)
  })

  it('lets an iteration finish within the graceful ramp-down, then stops its VU', async () => {
    const starts: number[] = []
    const t0 = performance.now()
    const journey = async ({ client }: JourneyContext) => {
      starts.push(performance.now() - t0)
      await client.sleep(250)
    }
    const { result } = await run(
      scenarioOf(journey, {
        startVUs: 1,
        stages: [
          { duration: '100ms', target: 1 },
          { duration: '0s', target: 0 },
          { duration: '600ms', target: 0 },
        ],
        gracefulRampDown: '1s',
        gracefulStop: '1s',
      }),
    )
    // The one iteration running at the ramp-down completes; none starts after it.
    expect(result).toMatchObject({ iterations: 1, interrupted: 0 })
    expect(starts).toHaveLength(1)
  })

  it('counts a journey that throws and goes on', async () => {
    let calls = 0
    const journey = async ({ client }: JourneyContext) => {
      calls++
      await client.sleep(50)
      if (calls === 1) throw new Error('a bug in a journey')
    }
    const { result } = await run(
      scenarioOf(journey, {
        startVUs: 1,
        stages: [{ duration: '300ms', target: 1 }],
        gracefulRampDown: '1s',
        gracefulStop: '1s',
      }),
    )
    expect(result.failed).toBe(1)
    expect(String(result.firstFailure)).toContain('a bug in a journey')
    expect(result.iterations).toBeGreaterThan(2)
  })
})
