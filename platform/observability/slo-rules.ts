import { API_ERROR_BUDGET, SLO } from '#platform/slo.ts'
import type { AlertingRule, RecordingRule, RuleGroup, Severity } from './rule-types.ts'
import { API, API_LATENCY, bucketBound, num } from './series.ts'

/**
 * The API objectives of platform/slo.ts as multi-window, multi-burn-rate alerts (the
 * Google SRE workbook, "Alerting on SLOs"): an alert fires when the error budget burns
 * fast enough to spend a given share of it within the long window, and is still burning
 * over the short window (so it resolves soon after the burn stops).
 *
 * Each objective is a ratio of bad events to all events, per function:
 * - errors: 5xx answers to API requests, budget 1 − availability;
 * - p95 latency: API requests (streams excluded) slower than p95Ms, budget 5 %;
 * - p99 latency: the same, slower than p99Ms, budget 1 %.
 * A bucket bound at each latency threshold makes "slower than" exact (shared/http/metrics.ts
 * has 0.5 and 1); the metrics test fails if one is missing.
 */

export interface BurnWindow {
  /** The share of the whole budget that burning this fast spends within `long`. */
  spend: number
  long: string
  short: string
  severity: Severity
}

/** The workbook's recommended windows: two pages, one ticket. */
export const BURN_WINDOWS: readonly BurnWindow[] = [
  { spend: 0.02, long: '1h', short: '5m', severity: 'critical' },
  { spend: 0.05, long: '6h', short: '30m', severity: 'critical' },
  { spend: 0.1, long: '3d', short: '6h', severity: 'warning' },
]

const HOURS: Record<string, number> = { '5m': 1 / 12, '30m': 0.5, '1h': 1, '6h': 6, '3d': 72 }

/** How many times faster than "exactly the budget over the SLO window" a window burns. */
export function burnRate(window: BurnWindow): number {
  const rate = (window.spend * SLO.windowDays * 24) / (HOURS[window.long] as number)
  return Number(rate.toPrecision(6))
}

export interface Objective {
  /** Names the recording rules: `function:tenantry_<id>:ratio_rate<window>`. */
  id: string
  /** The alert names' stem. */
  alert: string
  title: string
  budget: number
  /** The bad-event ratio over a window. */
  ratio(window: string): string
}

function slowerThan(ms: number) {
  const le = bucketBound(ms / 1000)
  return (window: string) => `1 - (
  sum by (function) (rate(http_request_duration_seconds_bucket{${API_LATENCY}, le="${le}"}[${window}]))
  /
  sum by (function) (rate(http_request_duration_seconds_count{${API_LATENCY}}[${window}]))
)`
}

export const API_ERRORS: Objective = {
  id: 'api_errors',
  alert: 'TenantryApiErrorBudgetBurn',
  title: `API availability ${SLO.api.availability * 100} %`,
  budget: API_ERROR_BUDGET,
  ratio: (
    window,
  ) => `sum by (function) (rate(http_requests_total{${API}, status=~"5.."}[${window}]))
/
sum by (function) (rate(http_requests_total{${API}}[${window}]))`,
}

export const OBJECTIVES: readonly Objective[] = [
  API_ERRORS,
  {
    id: 'api_slow_p95',
    alert: 'TenantryApiLatencyP95BudgetBurn',
    title: `API p95 latency under ${SLO.api.latency.p95Ms} ms`,
    budget: 0.05,
    ratio: slowerThan(SLO.api.latency.p95Ms),
  },
  {
    id: 'api_slow_p99',
    alert: 'TenantryApiLatencyP99BudgetBurn',
    title: `API p99 latency under ${SLO.api.latency.p99Ms} ms`,
    budget: 0.01,
    ratio: slowerThan(SLO.api.latency.p99Ms),
  },
]

export const ratioRule = (objective: Objective, window: string) =>
  `function:tenantry_${objective.id}:ratio_rate${window}`

/** Every window some burn-rate alert reads, shortest first. */
export const RATIO_WINDOWS = [
  ...new Set(BURN_WINDOWS.flatMap((window) => [window.short, window.long])),
].sort((a, b) => (HOURS[a] as number) - (HOURS[b] as number))

/** Where an alert's reader starts (the runbooks live in the repository). */
export const runbook = (name: string) =>
  `https://github.com/tenantry/tenantry/blob/main/docs/runbooks/${name}.md`

function alertsOf(objective: Objective): AlertingRule[] {
  const bySeverity = new Map<Severity, BurnWindow[]>()
  for (const window of BURN_WINDOWS) {
    bySeverity.set(window.severity, [...(bySeverity.get(window.severity) ?? []), window])
  }
  return [...bySeverity].map(([severity, windows]) => {
    const conditions = windows.map((window) => {
      const threshold = num(burnRate(window) * objective.budget)
      return `(
  ${ratioRule(objective, window.long)} > ${threshold}
  and
  ${ratioRule(objective, window.short)} > ${threshold}
)`
    })
    const fast = severity === 'critical'
    return {
      alert: fast ? objective.alert : `${objective.alert}Slow`,
      expr: conditions.join('\nor\n'),
      for: fast ? '2m' : '15m',
      labels: { severity, slo: objective.id },
      annotations: {
        summary: `{{ $labels.function }} is spending its error budget for ${objective.title} ${fast ? 'fast' : 'steadily'}`,
        description: `At this rate {{ $labels.function }} spends its ${SLO.windowDays}-day budget (${num(objective.budget * 100)} % bad) ${fast ? 'within days' : 'before the window ends'}. Bad share over the alert's long window (${windows.map((w) => w.long).join(' or ')}): {{ $value | humanizePercentage }}.`,
        runbook_url: runbook('incident-triage'),
      },
    }
  })
}

export function sloRuleGroups(): RuleGroup[] {
  const recording: RecordingRule[] = OBJECTIVES.flatMap((objective) =>
    RATIO_WINDOWS.map((window) => ({
      record: ratioRule(objective, window),
      expr: objective.ratio(window),
    })),
  )
  return [
    { name: 'tenantry-slo.ratios', interval: '1m', rules: recording },
    { name: 'tenantry-slo.alerts', rules: OBJECTIVES.flatMap(alertsOf) },
  ]
}
