import { API_JOURNEY_ROUTES, apiJourney } from './api-journey.ts'
import { CHAT_ROUTES, chatJourney } from './chat-journey.ts'
import { CONFIG_ROUTES, configJourney } from './config-journey.ts'
import { maxVus, type RampingVus } from './stages.ts'
import { apiThresholds, CHAT_THRESHOLDS, CONFIG_THRESHOLDS, type Thresholds } from './thresholds.ts'
import { type Journey, newVuState, type VuState } from './vu.ts'

/**
 * Every scenario, defined once: which journey its VUs run, its load shape and its
 * thresholds. `load-tests/<name>.ts` hands one to k6, `npm run load -- <name>` to the
 * Node harness.
 *
 * Sizes stay within what one client address may do against the API's default limits:
 * every VU is a guest of its own, signed in once (30 sign-ins a minute per address, so
 * peaks of at most 25 VUs start without waiting, leaving room for a smoke run in the
 * same minute), and each paces itself to ¾ of its 600 requests a minute.
 */

export type ScenarioName = 'smoke' | 'load' | 'spike' | 'soak' | 'chat' | 'config'

export interface Scenario {
  name: ScenarioName
  summary: string
  journey: Journey
  /** Whether all VUs share one rate-limit subject (the machine client of `config`). */
  sharedSubject: boolean
  plan: RampingVus
  thresholds: Thresholds
}

const API = apiThresholds(API_JOURNEY_ROUTES)

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  smoke: {
    name: 'smoke',
    summary: 'one VU through the main journey: does it work at all',
    journey: apiJourney,
    sharedSubject: false,
    plan: {
      startVUs: 1,
      stages: [{ duration: '30s', target: 1 }],
      gracefulRampDown: '5s',
      gracefulStop: '10s',
    },
    thresholds: API,
  },
  load: {
    name: 'load',
    summary: 'the main journey at a steady 20 VUs (about 175 requests/s)',
    journey: apiJourney,
    sharedSubject: false,
    plan: {
      startVUs: 0,
      stages: [
        { duration: '30s', target: 20 },
        { duration: '4m', target: 20 },
        { duration: '30s', target: 0 },
      ],
      gracefulRampDown: '10s',
      gracefulStop: '10s',
    },
    thresholds: API,
  },
  spike: {
    name: 'spike',
    summary: 'the main journey, 2 VUs jumping to 25 within 10 s, held, and back',
    journey: apiJourney,
    sharedSubject: false,
    plan: {
      startVUs: 0,
      stages: [
        { duration: '10s', target: 2 },
        { duration: '20s', target: 2 },
        { duration: '10s', target: 25 },
        { duration: '30s', target: 25 },
        { duration: '10s', target: 2 },
        { duration: '20s', target: 2 },
        { duration: '10s', target: 0 },
      ],
      gracefulRampDown: '10s',
      gracefulStop: '10s',
    },
    thresholds: API,
  },
  soak: {
    name: 'soak',
    summary: 'the main journey at 10 VUs for an hour: leaks, growth, token renewal',
    journey: apiJourney,
    sharedSubject: false,
    plan: {
      startVUs: 0,
      stages: [
        { duration: '2m', target: 10 },
        { duration: '1h', target: 10 },
        { duration: '2m', target: 0 },
      ],
      gracefulRampDown: '10s',
      gracefulStop: '10s',
    },
    thresholds: API,
  },
  chat: {
    name: 'chat',
    summary: 'chats over WebSocket: canned actions, replies in sequence, resume',
    journey: chatJourney,
    sharedSubject: false,
    plan: {
      startVUs: 0,
      stages: [
        { duration: '15s', target: 5 },
        { duration: '1m', target: 5 },
        { duration: '15s', target: 0 },
      ],
      gracefulRampDown: '15s',
      gracefulStop: '15s',
    },
    thresholds: { ...apiThresholds(CHAT_ROUTES), ...CHAT_THRESHOLDS },
  },
  config: {
    name: 'config',
    summary: 'config writes with If-Match by a machine client, and reads of the new version',
    journey: configJourney,
    sharedSubject: true,
    plan: {
      startVUs: 0,
      stages: [
        { duration: '5s', target: 2 },
        { duration: '50s', target: 2 },
        { duration: '5s', target: 0 },
      ],
      gracefulRampDown: '5s',
      gracefulStop: '10s',
    },
    thresholds: { ...apiThresholds(CONFIG_ROUTES), ...CONFIG_THRESHOLDS },
  },
}

export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[]

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as string[]).includes(name)
}

/** A VU's fresh state for a run of `scenario` shaped by `plan` (scaled or not). */
export function vuStateFor(scenario: Scenario, plan: RampingVus): VuState {
  return newVuState(scenario.sharedSubject ? maxVus(plan) : 1)
}
