import { EXTERNAL_METRICS } from './external-metrics.ts'
import { checkExpr, type Inventory, type MetricInfo } from './promql-check.ts'
import { isRecording, type RuleGroup } from './rule-types.ts'
import { SCRAPE_JOBS, targetLabels } from './scrape.ts'

/**
 * Every expression of the rules and dashboards, checked against what is exported
 * (promql-check.ts): the functions' metrics as scraped, with the labels their PodMonitor
 * adds, the external exporters' metrics from their catalog, and each recording rule from
 * the point it is defined on. Also: a recording rule read before its definition, a rule
 * recording a name something already exports, and `{{ $labels.x }}` or a legend's
 * `{{x}}` naming a label the result does not carry.
 */

export interface Problem {
  where: string
  message: string
}

/** The functions' scraped metrics plus the catalog, each with its scrape's target labels. */
export function exportedInventory(functions: Inventory): Map<string, MetricInfo> {
  const inventory = new Map<string, MetricInfo>()
  const functionLabels = targetLabels(SCRAPE_JOBS.functions)
  for (const [name, info] of functions) {
    inventory.set(name, { ...info, labels: new Set([...info.labels, ...functionLabels]) })
  }
  for (const metric of EXTERNAL_METRICS) {
    const labels = new Set([...metric.labels, ...targetLabels(SCRAPE_JOBS[metric.job])])
    inventory.set(metric.name, { labels })
  }
  return inventory
}

/** Labels a Go-template annotation or a Grafana legend names: `$labels.x`, `{{x}}`. */
const TEMPLATE_LABEL = /\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g
const LEGEND_LABEL = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g

function namedLabels(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(pattern)].map((match) => match[1] as string)
}

function missingLabels(
  names: string[],
  labels: ReadonlySet<string> | 'unknown' | undefined,
): string[] {
  if (labels === 'unknown') return []
  return names.filter((name) => !labels?.has(name))
}

/**
 * Checks the groups in evaluation order; returns the problems and the inventory with
 * every recording rule added (what dashboards may read).
 */
export function checkRuleGroups(
  groups: readonly RuleGroup[],
  exported: Inventory,
): { problems: Problem[]; inventory: Inventory } {
  const problems: Problem[] = []
  const inventory = new Map(exported)
  const records = new Set(
    groups.flatMap((group) => group.rules.filter(isRecording).map((r) => r.record)),
  )
  for (const group of groups) {
    for (const rule of group.rules) {
      const name = isRecording(rule) ? rule.record : rule.alert
      const where = `rule ${group.name}/${name}`
      const result = checkExpr(rule.expr, inventory)
      for (const message of result.problems) {
        // A record named here, but not yet in the inventory, is defined further down.
        const later = /^metric "(.+)": nothing exports it$/.exec(message)?.[1]
        problems.push({
          where,
          message:
            later && records.has(later)
              ? `recording rule "${later}" is read before it is defined`
              : message,
        })
      }
      if (isRecording(rule)) {
        if (exported.has(rule.record)) {
          problems.push({ where, message: `records "${rule.record}", a name already exported` })
        }
        const labels =
          result.labels === 'unknown' || result.labels === undefined
            ? new Set<string>()
            : new Set([...result.labels, ...Object.keys(rule.labels ?? {})])
        inventory.set(rule.record, { labels })
      } else {
        const texts = [...Object.values(rule.annotations), ...Object.values(rule.labels)]
        const named = texts.flatMap((text) => namedLabels(text, TEMPLATE_LABEL))
        for (const label of missingLabels(named, result.labels)) {
          problems.push({
            where,
            message: `$labels.${label}: the alert's series have no such label`,
          })
        }
      }
    }
  }
  return { problems, inventory }
}

/** Grafana's own variables, as values PromQL accepts, so the expressions parse. */
const GRAFANA_VARIABLES: Record<string, string> = {
  __rate_interval: '5m',
  __interval: '1m',
  __range: '6h',
}

function substitute(expr: string): string {
  return expr.replace(
    /\$\{?(__[a-z_]+)\}?/g,
    (whole, name: string) => GRAFANA_VARIABLES[name] ?? whole,
  )
}

interface PanelJson {
  title?: string
  panels?: PanelJson[]
  targets?: { refId?: string; expr?: string; legendFormat?: string }[]
}

interface DashboardJson {
  title?: string
  panels?: PanelJson[]
  templating?: { list?: { name?: string; type?: string; query?: unknown }[] }
}

/** `label_values(metric, label)`, Grafana's variable query. */
const LABEL_VALUES = /^label_values\(\s*(.+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/

export function checkDashboard(dashboard: DashboardJson, inventory: Inventory): Problem[] {
  const problems: Problem[] = []
  const title = dashboard.title ?? '(untitled)'
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue
    const where = `dashboard "${title}" variable $${variable.name}`
    const query = variable.query as { query?: string } | string | undefined
    const text = typeof query === 'string' ? query : (query?.query ?? '')
    const match = LABEL_VALUES.exec(text.trim())
    if (!match) {
      problems.push({
        where,
        message: `${JSON.stringify(text)} is not label_values(metric, label)`,
      })
      continue
    }
    const [, selector, label] = match as unknown as [string, string, string]
    const result = checkExpr(selector, inventory)
    for (const message of result.problems) problems.push({ where, message })
    for (const name of missingLabels([label], result.labels)) {
      problems.push({ where, message: `label "${name}": not a label of ${selector}` })
    }
  }
  const visit = (panels: PanelJson[]) => {
    for (const panel of panels) {
      visit(panel.panels ?? [])
      for (const target of panel.targets ?? []) {
        const where = `dashboard "${title}" panel "${panel.title}" ${target.refId ?? ''}`.trim()
        if (!target.expr) {
          problems.push({ where, message: 'has no expression' })
          continue
        }
        const result = checkExpr(substitute(target.expr), inventory)
        for (const message of result.problems) problems.push({ where, message })
        const legend = namedLabels(target.legendFormat ?? '', LEGEND_LABEL)
        for (const label of missingLabels(legend, result.labels)) {
          problems.push({ where, message: `legend {{${label}}}: the series have no such label` })
        }
      }
    }
  }
  visit(dashboard.panels ?? [])
  return problems
}

/** Every rule and dashboard against the exported metrics: the whole check. */
export function checkAssets(
  exported: Inventory,
  groups: readonly RuleGroup[],
  dashboards: readonly DashboardJson[],
): Problem[] {
  const rules = checkRuleGroups(groups, exported)
  return [
    ...rules.problems,
    ...dashboards.flatMap((dashboard) => checkDashboard(dashboard, rules.inventory)),
  ]
}
