import type { Options } from 'k6/options'
import type { Scenario } from '../lib/scenarios.ts'
import type { RampingVus } from '../lib/stages.ts'

/**
 * A scenario's plan and thresholds as k6 options: one `ramping-vus` scenario, the
 * thresholds as lib/thresholds.ts wrote them, and the same trend statistics the
 * harness's summary prints.
 */
export function k6Options(scenario: Scenario, plan: RampingVus): Options {
  return {
    scenarios: {
      [scenario.name]: {
        executor: 'ramping-vus',
        startVUs: plan.startVUs,
        stages: plan.stages.map((stage) => ({ ...stage })),
        gracefulRampDown: plan.gracefulRampDown,
        gracefulStop: plan.gracefulStop,
      },
    },
    thresholds: Object.fromEntries(
      Object.entries(scenario.thresholds).map(([metric, list]) => [metric, [...list]]),
    ),
    summaryTrendStats: ['count', 'avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
  }
}
