import { SCENARIOS, type ScenarioName, vuStateFor } from '../lib/scenarios.ts'
import { scaleFrom, settingsFrom } from '../lib/settings.ts'
import { scalePlan } from '../lib/stages.ts'
import { k6Client } from './client.ts'
import { k6Options } from './options.ts'

/**
 * What each k6 script exports, from the scenario's one definition: `options` and the
 * default function. Runs in the init context, once per VU, so every VU gets its own
 * client state (its guest, its pacer). `-e VUS=… -e DURATION=…` scale the stages as the
 * harness's `--vus` / `--duration` do.
 */
export function k6Entry(name: ScenarioName) {
  const scenario = SCENARIOS[name]
  const settings = settingsFrom(__ENV)
  const plan = scalePlan(scenario.plan, scaleFrom(__ENV))
  const ctx = { client: k6Client(settings), settings }
  const vu = vuStateFor(scenario, plan)
  return {
    options: k6Options(scenario, plan),
    iteration: () => scenario.journey(ctx, vu),
  }
}
