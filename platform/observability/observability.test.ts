import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { FUNCTIONS } from '#platform/functions.ts'
import { knativeService } from '#platform/manifests/knative-service.ts'
import { SLO } from '#platform/slo.ts'
import { podMonitors, prometheusRule } from './assets.ts'
import { dashboards } from './dashboards.ts'
import { EXTERNAL_METRICS } from './external-metrics.ts'
import { formatJson } from './json.ts'
import { isRecording } from './rule-types.ts'
import { ruleGroups } from './rules.ts'
import { SCRAPE_JOBS } from './scrape.ts'
import { API_ROUTES, bucketBound, STREAMING_ROUTES } from './series.ts'
import { BURN_WINDOWS, burnRate, OBJECTIVES, RATIO_WINDOWS, ratioRule } from './slo-rules.ts'

/**
 * What the generated rules, monitors and dashboards rest on, checked against the rest of
 * the repository: the objectives of platform/slo.ts, the functions' routes and pods, and
 * the add-ons' values that make the monitors and the exporters exist. (Whether their
 * expressions name exported series is test/observability/metrics.test.ts's.)
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const alerts = ruleGroups().flatMap((group) => group.rules.filter((rule) => !isRecording(rule)))

describe('the SLO alerts', () => {
  it("burn at the workbook's rates for a 30-day window: 14.4 and 6 page, 1 tickets", () => {
    expect(SLO.windowDays).toBe(30)
    expect(BURN_WINDOWS.map(burnRate)).toEqual([14.4, 6, 1])
  })

  it('compare each window pair with burn rate × budget, from platform/slo.ts', () => {
    const availability = alerts.find(
      (rule) => 'alert' in rule && rule.alert === 'TenantryApiErrorBudgetBurn',
    )
    // 1 % budget: 14.4 × 0.01 and 6 × 0.01.
    expect(availability?.expr).toContain('function:tenantry_api_errors:ratio_rate1h > 0.144')
    expect(availability?.expr).toContain('function:tenantry_api_errors:ratio_rate5m > 0.144')
    expect(availability?.expr).toContain('function:tenantry_api_errors:ratio_rate6h > 0.06')
    const slowP95 = alerts.find(
      (rule) => 'alert' in rule && rule.alert === 'TenantryApiLatencyP95BudgetBurnSlow',
    )
    // 5 % budget over 3 days at burn rate 1.
    expect(slowP95?.expr).toContain('function:tenantry_api_slow_p95:ratio_rate3d > 0.05')
  })

  it('record every ratio an alert reads, and bound latency at the objectives', () => {
    const records = ruleGroups().flatMap((group) =>
      group.rules.filter(isRecording).map((r) => r.record),
    )
    for (const objective of OBJECTIVES) {
      for (const window of RATIO_WINDOWS) expect(records).toContain(ratioRule(objective, window))
    }
    const text = JSON.stringify(ruleGroups())
    expect(text).toContain(`le=\\"${bucketBound(SLO.api.latency.p95Ms / 1000)}\\"`)
    expect(bucketBound(SLO.api.latency.p99Ms / 1000)).toBe('1.0')
    expect(text).toContain(`> ${SLO.config.maxStalenessSeconds}`)
  })

  it('give every alert a severity, a summary and a runbook', () => {
    for (const rule of alerts) {
      if (isRecording(rule)) continue
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels.severity)
      expect(rule.annotations.summary, rule.alert).toBeTruthy()
      expect(rule.annotations.runbook_url, rule.alert).toMatch(
        /^https:\/\/github\.com\/tenantry\/tenantry\/blob\/main\/docs\/runbooks\/[a-z-]+\.md$/,
      )
    }
    expect(new Set(alerts.map((rule) => ('alert' in rule ? rule.alert : ''))).size).toBe(
      alerts.length,
    )
  })

  it('is one PrometheusRule in monitoring, applied once the operator has its kind', () => {
    const rule = prometheusRule()
    expect(rule.metadata.namespace).toBe('monitoring')
    expect(rule.metadata.annotations['argocd.argoproj.io/sync-options']).toBe(
      'SkipDryRunOnMissingResource=true',
    )
  })
})

describe('the API route selectors', () => {
  const api = new RegExp(`^(?:${API_ROUTES})$`)
  const paths = FUNCTIONS.flatMap((fn) => fn.routes.map((route) => route.path))

  it('match every route of every function, and not the probes or /metrics', () => {
    expect(paths.length).toBeGreaterThan(20)
    for (const path of paths) expect(path, path).toMatch(api)
    for (const path of ['/healthz', '/readyz', '/metrics', 'unknown', '/*'])
      expect(path).not.toMatch(api)
  })

  it('name streaming routes that exist', () => {
    for (const path of STREAMING_ROUTES) expect(paths, path).toContain(path)
  })
})

describe('the PodMonitors', () => {
  it("select every function's pods (the Knative template's labels) and name the function", () => {
    for (const job of [SCRAPE_JOBS.functions, SCRAPE_JOBS.queueProxy]) {
      for (const fn of FUNCTIONS) {
        const labels = knativeService(fn).spec.template.metadata.labels
        expect(labels, fn.name).toMatchObject(job.matchLabels)
      }
      expect(job.podLabels).toEqual({ 'serving.knative.dev/service': 'function' })
    }
    const [functions] = podMonitors()
    expect(functions?.spec.podMetricsEndpoints[0]?.relabelings).toEqual([
      {
        sourceLabels: ['__meta_kubernetes_pod_label_serving_knative_dev_service'],
        targetLabel: 'function',
      },
    ])
  })

  it('scrape what the external catalog lists, and the catalog says where each came from', () => {
    const jobs = new Set(Object.keys(SCRAPE_JOBS))
    for (const metric of EXTERNAL_METRICS) {
      expect(jobs, metric.name).toContain(metric.job)
      expect(metric.source.length, metric.name).toBeGreaterThan(30)
      expect(metric.name).toMatch(/^[a-z_][a-z0-9_]*$/)
    }
    expect(new Set(EXTERNAL_METRICS.map((m) => m.name)).size).toBe(EXTERNAL_METRICS.length)
  })
})

describe('the add-ons the monitors rely on', () => {
  const valuesOf = async (file: string) =>
    parse(await readFile(`${ROOT}clusters/base/apps/${file}`, 'utf8')).spec.source.helm.valuesObject

  it('kube-prometheus-stack selects monitors and rules from every namespace', async () => {
    const spec = (await valuesOf('kube-prometheus-stack.yaml')).prometheus.prometheusSpec
    for (const key of [
      'podMonitorSelectorNilUsesHelmValues',
      'serviceMonitorSelectorNilUsesHelmValues',
      'ruleSelectorNilUsesHelmValues',
    ]) {
      expect(spec[key], key).toBe(false)
    }
  })

  it('valkey runs its exporter, restricted, where the PodMonitor looks for it', async () => {
    const { metrics } = await valuesOf('valkey.yaml')
    expect(metrics.enabled).toBe(true)
    expect(metrics.exporter.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      runAsNonRoot: true,
    })
    // The chart names the exporter's container port "metrics" (templates/deploy_valkey.yaml).
    expect(SCRAPE_JOBS.valkey.port).toBe('metrics')
  })
})

describe('the dashboards', () => {
  it('have distinct uids and titles, and no empty row', () => {
    const all = dashboards()
    expect(new Set(all.map((d) => d.uid)).size).toBe(all.length)
    expect(new Set(all.map((d) => d.title)).size).toBe(all.length)
    for (const dashboard of all) {
      for (const row of dashboard.rows)
        expect(row.panels.length, `${dashboard.title} ${row.title}`).toBeGreaterThan(0)
    }
  })
})

describe('formatJson', () => {
  it('round-trips, expands objects, and keeps a short array of plain values on one line', () => {
    const value = { a: [1, 'two', null], b: { c: [] }, d: [{ e: true }], f: {} }
    expect(JSON.parse(formatJson(value))).toEqual(value)
    expect(formatJson(value)).toBe(
      '{\n  "a": [1, "two", null],\n  "b": {\n    "c": []\n  },\n  "d": [\n    {\n      "e": true\n    }\n  ],\n  "f": {}\n}\n',
    )
    const long = { list: Array.from({ length: 30 }, (_, i) => `item${i}`) }
    // {, "list": [, 30 items, ], } and the final newline.
    expect(formatJson(long).split('\n')).toHaveLength(35)
  })
})
