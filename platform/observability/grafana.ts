/**
 * A small model of the Grafana dashboards this repository ships, and its Grafana JSON
 * (the dashboard model the sidecar of kube-prometheus-stack's Grafana loads from
 * ConfigMaps). Every query runs against the `datasource` variable, so the dashboards
 * work with whichever Prometheus data source the Grafana has.
 */

export interface Target {
  expr: string
  /** Grafana's legend template: `{{function}}` names a label of the result. */
  legend?: string
}

export type Unit = 'reqps' | 'ops' | 'percentunit' | 's' | 'bytes' | 'short' | 'none'

export interface PanelSpec {
  title: string
  description?: string
  /** A stat shows one number (over the dashboard's range); a time series, a graph. */
  kind?: 'timeseries' | 'stat'
  unit?: Unit
  /** Where a red line goes (an objective, a limit), in the panel's unit. */
  threshold?: number
  targets: Target[]
  /** Out of 24 columns; 8 by default (three across), 6 for stats. */
  width?: number
}

export interface RowSpec {
  title: string
  panels: PanelSpec[]
}

export interface VariableSpec {
  name: string
  label: string
  /** `label_values(metric, label)`. */
  query: string
}

export interface DashboardSpec {
  uid: string
  title: string
  description: string
  variables: VariableSpec[]
  rows: RowSpec[]
}

/** Grafana's reference to the `datasource` variable (a literal `${…}`, not a JS template). */
const DATASOURCE = { type: 'prometheus', uid: '$' + '{datasource}' }
const HEIGHT = 8

export function dashboardJson(spec: DashboardSpec): Record<string, unknown> {
  const panels: Record<string, unknown>[] = []
  let id = 1
  let y = 0
  for (const row of spec.rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { x: 0, y, w: 24, h: 1 },
      panels: [],
    })
    y += 1
    let x = 0
    for (const panel of row.panels) {
      const width = panel.width ?? (panel.kind === 'stat' ? 6 : 8)
      if (x + width > 24) {
        x = 0
        y += HEIGHT
      }
      panels.push(panelJson(panel, id++, { x, y, w: width, h: HEIGHT }))
      x += width
    }
    y += HEIGHT
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['tenantry'],
    editable: false,
    schemaVersion: 39,
    version: 1,
    timezone: 'browser',
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          hide: 0,
        },
        ...spec.variables.map((variable) => ({
          name: variable.name,
          label: variable.label,
          type: 'query',
          datasource: DATASOURCE,
          definition: variable.query,
          query: variable.query,
          refresh: 2,
          multi: true,
          includeAll: true,
          sort: 1,
          hide: 0,
        })),
      ],
    },
    annotations: { list: [] },
    panels,
  }
}

function panelJson(panel: PanelSpec, id: number, gridPos: object): Record<string, unknown> {
  const kind = panel.kind ?? 'timeseries'
  const thresholds = {
    mode: 'absolute',
    steps: [
      { color: 'green', value: null },
      ...(panel.threshold === undefined ? [] : [{ color: 'red', value: panel.threshold }]),
    ],
  }
  return {
    id,
    type: kind,
    title: panel.title,
    ...(panel.description ? { description: panel.description } : {}),
    gridPos,
    datasource: DATASOURCE,
    targets: panel.targets.map((target, index) => ({
      refId: String.fromCharCode(65 + index),
      datasource: DATASOURCE,
      expr: target.expr,
      legendFormat: target.legend ?? '__auto',
      range: true,
    })),
    fieldConfig: {
      defaults: {
        unit: panel.unit ?? 'short',
        thresholds,
        ...(kind === 'timeseries' && panel.threshold !== undefined
          ? { custom: { thresholdsStyle: { mode: 'line' } } }
          : {}),
      },
      overrides: [],
    },
    options:
      kind === 'stat'
        ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } }
        : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
  }
}
