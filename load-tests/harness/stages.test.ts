import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration } from '../lib/duration.ts'
import { SCENARIOS } from '../lib/scenarios.ts'
import { maxVus, type RampingVus, scalePlan, targetAt, totalMs } from '../lib/stages.ts'

const ramp: RampingVus = {
  startVUs: 0,
  stages: [
    { duration: '2s', target: 20 },
    { duration: '16s', target: 20 },
    { duration: '2s', target: 0 },
  ],
  gracefulRampDown: '10s',
  gracefulStop: '10s',
}

describe('durations', () => {
  it('reads k6 duration strings', () => {
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('1m30s')).toBe(90_000)
    expect(parseDuration('1.5s')).toBe(1_500)
    expect(parseDuration(' 2h3m4s5ms ')).toBe(7_384_005)
  })

  it('refuses what is not one, bare numbers included', () => {
    for (const bad of ['', '10', '1x', 's', '1s2', '1s 2m', '-1s', 'ms']) {
      expect(() => parseDuration(bad), bad).toThrow(/not a duration/)
    }
  })

  it('writes the shortest string that reads back the same', () => {
    expect(formatDuration(0)).toBe('0s')
    expect(formatDuration(6_000)).toBe('6s')
    expect(formatDuration(90_000)).toBe('1m30s')
    expect(formatDuration(3_600_000 + 333)).toBe('1h333ms')
    for (const ms of [1, 999, 1_000, 59_999, 61_001, 7_384_005]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms)
    }
  })
})

describe('stage scaling (--vus, --duration)', () => {
  it('stretches every stage in proportion to the new total', () => {
    const scaled = scalePlan(SCENARIOS.load.plan, { durationMs: 60_000 })
    expect(scaled.stages).toEqual([
      { duration: '6s', target: 20 },
      { duration: '48s', target: 20 },
      { duration: '6s', target: 0 },
    ])
    expect(totalMs(scaled)).toBe(60_000)
    expect(scaled.gracefulStop).toBe(SCENARIOS.load.plan.gracefulStop)
  })

  it('rounds on the running sum, so the total is exact', () => {
    const thirds = scalePlan(
      { ...ramp, stages: ramp.stages.map((s) => ({ ...s, duration: '1s' })) },
      { durationMs: 1_000 },
    )
    expect(thirds.stages.map((s) => s.duration)).toEqual(['333ms', '334ms', '333ms'])
    expect(totalMs(thirds)).toBe(1_000)
  })

  it('scales the targets so the peak is --vus, keeping a VU where there was one', () => {
    const spike = scalePlan(SCENARIOS.spike.plan, { vus: 5 })
    expect(maxVus(spike)).toBe(5)
    expect(spike.stages.map((s) => s.target)).toEqual([1, 1, 5, 5, 1, 1, 0])
    expect(totalMs(spike)).toBe(totalMs(SCENARIOS.spike.plan))
    expect(scalePlan({ ...ramp, startVUs: 2 }, { vus: 40 }).startVUs).toBe(4)
    expect(scalePlan(ramp, { vus: 50, durationMs: 10_000 })).toEqual({
      ...ramp,
      stages: [
        { duration: '1s', target: 50 },
        { duration: '8s', target: 50 },
        { duration: '1s', target: 0 },
      ],
    })
  })

  it('leaves a plan alone without --vus or --duration', () => {
    for (const scenario of Object.values(SCENARIOS)) {
      expect(scalePlan(scenario.plan, {})).toEqual(scenario.plan)
    }
  })
})

describe('the ramping-vus line', () => {
  it('adds a VU once the line reaches it and removes one once it drops below', () => {
    expect(targetAt(ramp, 0)).toBe(0)
    expect(targetAt(ramp, 99)).toBe(0)
    expect(targetAt(ramp, 100)).toBe(1)
    expect(targetAt(ramp, 1_000)).toBe(10)
    expect(targetAt(ramp, 1_999)).toBe(19)
    expect(targetAt(ramp, 2_000)).toBe(20)
    expect(targetAt(ramp, 17_999)).toBe(20)
    expect(targetAt(ramp, 18_000)).toBe(20)
    expect(targetAt(ramp, 19_000)).toBe(10)
    expect(targetAt(ramp, 19_999)).toBe(1)
    expect(targetAt(ramp, 20_000)).toBe(0)
  })

  it('starts at startVUs and jumps on a zero-length stage', () => {
    const jump: RampingVus = {
      ...ramp,
      startVUs: 3,
      stages: [
        { duration: '1s', target: 3 },
        { duration: '0s', target: 9 },
        { duration: '1s', target: 9 },
      ],
    }
    expect(targetAt(jump, 0)).toBe(3)
    expect(targetAt(jump, 999)).toBe(3)
    expect(targetAt(jump, 1_000)).toBe(9)
    expect(maxVus(jump)).toBe(9)
  })
})
