import { SLO } from '#platform/slo.ts'
import type { RuleGroup } from './rule-types.ts'
import { bucketBound, job } from './series.ts'
import { runbook, sloRuleGroups } from './slo-rules.ts'

/**
 * Every rule Prometheus evaluates for Tenantry, in evaluation order: the SLO burn rates
 * (slo-rules.ts), then hot reload, chat fan-out and the data services. Thresholds come
 * from platform/slo.ts. Recording rules come before the rules that read them; the
 * metrics test fails on a rule that reads one defined later.
 */

/**
 * A p99 objective as a ratio: more than 1 % of events slower than the bound breaks it.
 * Fewer than this many events in the hour say nothing about a 99th percentile, so the
 * alert waits for them (config writes are rare).
 */
const P99_MIN_EVENTS = 100

function p99Ratio(histogram: string, boundSeconds: number) {
  return `1 - (
  sum(rate(${histogram}_bucket{le="${bucketBound(boundSeconds)}"}[1h]))
  /
  sum(rate(${histogram}_count[1h]))
)`
}

/** The p99 objective recorded in `record` is broken, over enough events to tell. */
const p99Broken = (record: string, histogram: string) => `${record} > 0.01
and
sum(increase(${histogram}_count[1h])) >= ${P99_MIN_EVENTS}`

const CONFIG_SLOW = 'tenantry:config_propagation_slow:ratio_rate1h'
const FANOUT_SLOW = 'tenantry:chat_fanout_slow:ratio_rate1h'

function hotReloadGroup(): RuleGroup {
  const bound = SLO.config.propagationP99Ms
  return {
    name: 'tenantry-config',
    rules: [
      { record: CONFIG_SLOW, expr: p99Ratio('config_propagation_seconds', bound / 1000) },
      {
        alert: 'TenantryConfigPropagationSlow',
        expr: p99Broken(CONFIG_SLOW, 'config_propagation_seconds'),
        for: '15m',
        labels: { severity: 'warning' },
        annotations: {
          summary: `Config versions take longer than ${bound} ms to reach instances (p99)`,
          description:
            'Of the config versions hints brought in the last hour, {{ $value | humanizePercentage }} took longer than the objective from commit to applied.',
          runbook_url: runbook('config-hot-reload'),
        },
      },
      {
        alert: 'TenantryConfigStale',
        expr: `max by (function, service) (config_staleness_seconds) > ${SLO.config.maxStalenessSeconds}`,
        for: '5m',
        labels: { severity: 'warning' },
        annotations: {
          summary:
            'An instance of {{ $labels.function }} has not confirmed its {{ $labels.service }} config',
          description: `{{ $labels.function }} last confirmed {{ $labels.service }} against PostgreSQL {{ $value | humanizeDuration }} ago (stale after ${SLO.config.maxStalenessSeconds} s): it serves the last version it knows.`,
          runbook_url: runbook('config-hot-reload'),
        },
      },
      {
        alert: 'TenantryConfigHintsLost',
        expr: 'min by (function, pod) (config_bus_connected) == 0',
        for: '10m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'Config hints do not reach {{ $labels.pod }}',
          description:
            '{{ $labels.pod }} ({{ $labels.function }}) is not subscribed to config hints: new versions reach it only by its periodic reconcile.',
          runbook_url: runbook('config-hot-reload'),
        },
      },
    ],
  }
}

function chatGroup(): RuleGroup {
  const bound = SLO.chat.fanoutP99Ms
  return {
    name: 'tenantry-chat',
    rules: [
      { record: FANOUT_SLOW, expr: p99Ratio('chat_fanout_latency_seconds', bound / 1000) },
      {
        alert: 'TenantryChatFanoutDegraded',
        expr: 'max by (function, pod) (chat_fanout_degraded) == 1',
        for: '5m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'Chat replies reach only the streams on {{ $labels.pod }}',
          description:
            '{{ $labels.pod }} cannot fan replies out through Valkey: a user with streams on two instances misses replies on the other one.',
          runbook_url: runbook('incident-triage'),
        },
      },
      {
        alert: 'TenantryChatFanoutSlow',
        expr: p99Broken(FANOUT_SLOW, 'chat_fanout_latency_seconds'),
        for: '15m',
        labels: { severity: 'warning' },
        annotations: {
          summary: `Chat replies take longer than ${bound} ms to reach their streams (p99)`,
          description:
            'In the last hour {{ $value | humanizePercentage }} of live replies took longer than the objective from publish to written.',
          runbook_url: runbook('incident-triage'),
        },
      },
    ],
  }
}

/** Down: the exporter says so, or nothing of it is scraped at all. */
const down = (metric: string, selector: string) =>
  `max(${metric}{${selector}}) == 0
or
absent(${metric}{${selector}})`

function dataGroup(): RuleGroup {
  const postgres = `${job('postgres')}, cluster="tenantry-db"`
  return {
    name: 'tenantry-data',
    rules: [
      {
        alert: 'TenantryPostgresDown',
        expr: down('cnpg_collector_up', postgres),
        for: '2m',
        labels: { severity: 'critical' },
        annotations: {
          summary: 'No PostgreSQL instance of tenantry-db is up',
          description:
            'No instance of the CloudNativePG cluster tenantry-db reports PostgreSQL up (or none is scraped): every API request that reads or writes fails.',
          runbook_url: runbook('incident-triage'),
        },
      },
      {
        alert: 'TenantryPostgresInstanceDown',
        expr: `cnpg_collector_up{${postgres}} == 0`,
        for: '5m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'PostgreSQL is down on {{ $labels.pod }}',
          description:
            'The instance {{ $labels.pod }} of tenantry-db reports PostgreSQL down; the cluster runs on the others.',
          runbook_url: runbook('incident-triage'),
        },
      },
      {
        alert: 'TenantryPoolerDown',
        expr: down('cnpg_pgbouncer_up', job('pooler')),
        for: '2m',
        labels: { severity: 'critical' },
        annotations: {
          summary: 'No PgBouncer of tenantry-db-pooler is up',
          description:
            'The functions reach PostgreSQL only through the pooler: with no PgBouncer up (or none scraped), every API request that needs the database fails.',
          runbook_url: runbook('incident-triage'),
        },
      },
      {
        alert: 'TenantryValkeyDown',
        expr: down('redis_up', job('valkey')),
        for: '2m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'Valkey is down',
          description:
            'Valkey reports down (or is not scraped): config hints stop (the reconcile still runs), chat replies reach only the instance that ran the action, rate limits fall back per instance.',
          runbook_url: runbook('incident-triage'),
        },
      },
    ],
  }
}

export function ruleGroups(): RuleGroup[] {
  return [...sloRuleGroups(), hotReloadGroup(), chatGroup(), dataGroup()]
}
