/** The rules of a PrometheusRule, as its spec.groups holds them. */

export interface RecordingRule {
  record: string
  expr: string
  labels?: Record<string, string>
}

export interface AlertingRule {
  alert: string
  expr: string
  for?: string
  labels: Record<string, string>
  annotations: Record<string, string>
}

export type Rule = RecordingRule | AlertingRule

export interface RuleGroup {
  name: string
  interval?: string
  rules: Rule[]
}

export const isRecording = (rule: Rule): rule is RecordingRule => 'record' in rule

/** Severities as kube-prometheus-stack's Alertmanager routes them. */
export type Severity = 'critical' | 'warning'
