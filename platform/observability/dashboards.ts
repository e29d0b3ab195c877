import { API_ERROR_BUDGET, SLO } from '#platform/slo.ts'
import type { DashboardSpec, PanelSpec, Target } from './grafana.ts'
import { API, API_LATENCY, job, num } from './series.ts'
import { API_ERRORS, OBJECTIVES, type Objective, ratioRule } from './slo-rules.ts'

/**
 * The three dashboards: each function's golden signals (traffic, errors, latency,
 * saturation, and Knative's view of the same requests), the business (orgs, projects,
 * chats, config hot reload, chat fan-out), and the infrastructure underneath (the
 * functions' pools, PgBouncer, PostgreSQL, Valkey). Objectives are drawn as red lines
 * from platform/slo.ts.
 */

const RATE = '$__rate_interval'
const FN = 'function=~"$function"'
const DATABASE = 'tenantry'

const quantile = (q: number, inner: string, by: string) =>
  `histogram_quantile(${q}, sum by (${by}, le) (rate(${inner}[${RATE}])))`

/** Quantiles of a histogram, one line each per `by`. */
function quantiles(qs: number[], bucket: string, by: string, legend: string): Target[] {
  return qs.map((q) => ({
    expr: quantile(q, bucket, by),
    legend: `${legend} p${Math.round(q * 100)}`,
  }))
}

function functionsDashboard(): DashboardSpec {
  const requests = `http_requests_total{${FN}, ${API}}`
  const latencyBucket = `http_request_duration_seconds_bucket{${FN}, ${API_LATENCY}}`
  const latency = (q: number, threshold?: number): PanelSpec => ({
    title: `p${Math.round(q * 100)}`,
    unit: 's',
    ...(threshold === undefined ? {} : { threshold }),
    targets: [{ expr: quantile(q, latencyBucket, 'function'), legend: '{{function}}' }],
  })
  /** An objective's burn rate over each window, one line per function and window. */
  const burn = (objective: Objective, windows: string[]): Target[] =>
    windows.map((window) => ({
      expr: `${ratioRule(objective, window)}{${FN}} / ${num(objective.budget)}`,
      legend: `{{function}} ${window}`,
    }))
  return {
    uid: 'tenantry-functions',
    title: 'Tenantry / Functions',
    description: 'Golden signals per function: traffic, errors, latency, saturation.',
    variables: [
      { name: 'function', label: 'Function', query: 'label_values(http_requests_total, function)' },
    ],
    rows: [
      {
        title: 'Traffic and errors (API routes)',
        panels: [
          {
            title: 'Requests per second',
            unit: 'reqps',
            targets: [
              { expr: `sum by (function) (rate(${requests}[${RATE}]))`, legend: '{{function}}' },
            ],
          },
          {
            title: 'Share of 5xx answers',
            description: `The availability objective allows ${num(API_ERROR_BUDGET * 100)} %.`,
            unit: 'percentunit',
            threshold: Number(num(API_ERROR_BUDGET)),
            targets: [
              {
                expr: `sum by (function) (rate(http_requests_total{${FN}, ${API}, status=~"5.."}[${RATE}]))
/
sum by (function) (rate(${requests}[${RATE}]))`,
                legend: '{{function}}',
              },
            ],
          },
          {
            title: 'Answers by status',
            unit: 'reqps',
            targets: [
              {
                expr: `sum by (function, status) (rate(${requests}[${RATE}]))`,
                legend: '{{function}} {{status}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Latency (API routes, streams excluded)',
        panels: [
          latency(0.5),
          latency(0.95, SLO.api.latency.p95Ms / 1000),
          latency(0.99, SLO.api.latency.p99Ms / 1000),
          {
            title: 'p95 by route',
            unit: 's',
            threshold: SLO.api.latency.p95Ms / 1000,
            width: 24,
            targets: [
              {
                expr: quantile(0.95, latencyBucket, 'function, method, route'),
                legend: '{{function}} {{method}} {{route}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Error budget',
        panels: [
          {
            title: 'Availability: burn rate',
            description:
              'How many times faster than the budget allows errors are spent (1 = exactly the budget over the SLO window).',
            unit: 'none',
            threshold: 1,
            targets: burn(API_ERRORS, ['1h', '6h', '3d']),
          },
          ...OBJECTIVES.filter((objective) => objective !== API_ERRORS).map((objective) => ({
            title: `${objective.title}: burn rate`,
            unit: 'none' as const,
            threshold: 1,
            targets: burn(objective, ['1h', '6h']),
          })),
        ],
      },
      {
        title: 'Saturation',
        panels: [
          {
            title: 'Instances',
            unit: 'short',
            targets: [
              {
                expr: `count by (function) (process_start_time_seconds{${FN}})`,
                legend: '{{function}}',
              },
            ],
          },
          {
            title: 'CPU (cores)',
            unit: 'short',
            targets: [
              {
                expr: `sum by (function) (rate(process_cpu_seconds_total{${FN}}[${RATE}]))`,
                legend: '{{function}}',
              },
            ],
          },
          {
            title: 'Memory (resident, per instance)',
            unit: 'bytes',
            targets: [
              {
                expr: `max by (function, pod) (process_resident_memory_bytes{${FN}})`,
                legend: '{{pod}}',
              },
            ],
          },
          {
            title: 'Event loop lag p99 (worst instance)',
            unit: 's',
            targets: [
              {
                expr: `max by (function) (nodejs_eventloop_lag_p99_seconds{${FN}})`,
                legend: '{{function}}',
              },
            ],
          },
          {
            title: 'Database pool in use',
            description: 'Connections held by transactions, as a share of the pools’ size.',
            unit: 'percentunit',
            threshold: 0.8,
            targets: [
              {
                expr: `sum by (function) (db_pool_reserved_connections{${FN}})
/
sum by (function) (db_pool_max_connections{${FN}})`,
                legend: '{{function}}',
              },
            ],
          },
          {
            title: 'Transactions waiting for a connection',
            unit: 'short',
            targets: [
              {
                expr: `sum by (function) (db_pool_reserve_waiting{${FN}})`,
                legend: '{{function}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Knative queue-proxy (the same requests, as the sidecar saw them)',
        panels: [
          {
            title: 'Proxied requests by status',
            unit: 'reqps',
            targets: [
              {
                expr: `sum by (function, http_response_status_code) (rate(kn_serving_invocation_duration_seconds_count{${FN}}[${RATE}]))`,
                legend: '{{function}} {{http_response_status_code}}',
              },
            ],
          },
          {
            title: 'Proxied request duration',
            description: 'Streams included: a chat stream lasts until it closes.',
            unit: 's',
            targets: quantiles(
              [0.95, 0.99],
              `kn_serving_invocation_duration_seconds_bucket{${FN}}`,
              'function',
              '{{function}}',
            ),
          },
          {
            title: 'Requests queued in the proxy',
            description: 'Only functions with a container concurrency limit queue.',
            unit: 'short',
            targets: [
              { expr: `max by (function) (kn_serving_queue_depth{${FN}})`, legend: '{{function}}' },
            ],
          },
        ],
      },
    ],
  }
}

const total = (title: string, expr: string): PanelSpec => ({
  title,
  kind: 'stat',
  unit: 'short',
  description: 'Over the dashboard’s time range.',
  targets: [{ expr: `sum(increase(${expr}[$__range]))`, legend: title }],
})

function businessDashboard(): DashboardSpec {
  return {
    uid: 'tenantry-business',
    title: 'Tenantry / Business',
    description: 'Orgs, projects and chats; config hot reload; chat connections and fan-out.',
    variables: [],
    rows: [
      {
        title: 'Orgs and projects',
        panels: [
          total('Orgs created', 'orgs_created_total{outcome="committed"}'),
          total('Orgs deleted', 'orgs_deleted_total'),
          total('Projects created', 'projects_created_total'),
          total('Projects deleted', 'projects_deleted_total'),
          {
            title: 'Org creations by outcome',
            description:
              'failed: compensated after a step failed; abandoned: recovered after its process died.',
            unit: 'short',
            width: 12,
            targets: [
              {
                expr: `sum by (outcome) (increase(orgs_created_total[${RATE}]))`,
                legend: '{{outcome}}',
              },
            ],
          },
          {
            title: 'Projects created and deleted',
            unit: 'short',
            width: 12,
            targets: [
              { expr: `sum(increase(projects_created_total[${RATE}]))`, legend: 'created' },
              { expr: `sum(increase(projects_deleted_total[${RATE}]))`, legend: 'deleted' },
            ],
          },
        ],
      },
      {
        title: 'Chats',
        panels: [
          total('Chats opened', 'chats_opened_total'),
          total('Chats closed', 'chats_closed_total'),
          {
            title: 'Active chat streams',
            kind: 'stat',
            unit: 'short',
            targets: [{ expr: 'sum(chat_connections_open)', legend: 'streams' }],
          },
          {
            title: 'Chats opened and closed',
            kind: 'timeseries',
            unit: 'short',
            width: 6,
            targets: [
              { expr: `sum(increase(chats_opened_total[${RATE}]))`, legend: 'opened' },
              { expr: `sum(increase(chats_closed_total[${RATE}]))`, legend: 'closed' },
            ],
          },
        ],
      },
      {
        title: 'Config hot reload',
        panels: [
          {
            title: 'Versions held',
            description: 'Highest and lowest version any instance holds: apart for long, one lags.',
            unit: 'short',
            targets: [
              { expr: 'max by (service) (config_version)', legend: '{{service}} highest' },
              { expr: 'min by (service) (config_version)', legend: '{{service}} lowest' },
            ],
          },
          {
            title: 'Staleness (worst instance)',
            description: 'Since an instance last confirmed its version against PostgreSQL.',
            unit: 's',
            threshold: SLO.config.maxStalenessSeconds,
            targets: [
              { expr: 'max by (service) (config_staleness_seconds)', legend: '{{service}}' },
            ],
          },
          {
            title: 'Propagation (commit → applied)',
            unit: 's',
            threshold: SLO.config.propagationP99Ms / 1000,
            targets: quantiles(
              [0.5, 0.99],
              'config_propagation_seconds_bucket',
              'service',
              '{{service}}',
            ),
          },
          {
            title: 'Hints by outcome',
            unit: 'ops',
            targets: [
              {
                expr: `sum by (outcome) (rate(config_hints_total[${RATE}]))`,
                legend: '{{outcome}}',
              },
            ],
          },
          {
            title: 'Reconciles by outcome',
            unit: 'ops',
            targets: [
              {
                expr: `sum by (outcome) (rate(config_reconciles_total[${RATE}]))`,
                legend: '{{outcome}}',
              },
            ],
          },
          {
            title: 'Instances without hints; refused versions',
            unit: 'short',
            targets: [
              { expr: 'sum(1 - config_bus_connected)', legend: 'instances without hints' },
              { expr: 'sum by (service) (config_refused_total)', legend: 'refused {{service}}' },
            ],
          },
        ],
      },
      {
        title: 'Chat connections and fan-out',
        panels: [
          {
            title: 'Open streams by transport',
            unit: 'short',
            targets: [
              { expr: 'sum by (transport) (chat_connections_open)', legend: '{{transport}}' },
            ],
          },
          {
            title: 'Fan-out latency (publish → written)',
            unit: 's',
            threshold: SLO.chat.fanoutP99Ms / 1000,
            targets: [0.5, 0.99].map((q) => ({
              expr: `histogram_quantile(${q}, sum by (le) (rate(chat_fanout_latency_seconds_bucket[${RATE}])))`,
              legend: `p${Math.round(q * 100)}`,
            })),
          },
          {
            title: 'Instances with fan-out degraded',
            description: 'Replies reach only the instance that ran the action (Valkey down).',
            unit: 'short',
            threshold: 1,
            targets: [{ expr: 'sum(chat_fanout_degraded)', legend: 'degraded' }],
          },
          {
            title: 'Replies delivered',
            unit: 'ops',
            targets: [
              {
                expr: `sum by (transport) (rate(chat_replies_delivered_total[${RATE}]))`,
                legend: '{{transport}}',
              },
              {
                expr: `sum(rate(chat_fanout_local_only_total[${RATE}]))`,
                legend: 'this instance only (degraded)',
              },
            ],
          },
          {
            title: 'Resyncs',
            description: 'The ring buffer no longer held what a resuming stream needed.',
            unit: 'ops',
            targets: [{ expr: `sum(rate(chat_resyncs_total[${RATE}]))`, legend: 'resyncs' }],
          },
          {
            title: 'Stream closes by code',
            unit: 'ops',
            targets: [
              {
                expr: `sum by (transport, code) (rate(chat_stream_closes_total[${RATE}]))`,
                legend: '{{transport}} {{code}}',
              },
            ],
          },
        ],
      },
    ],
  }
}

function infrastructureDashboard(): DashboardSpec {
  const pg = job('postgres')
  const pooler = `${job('pooler')}, database="${DATABASE}"`
  const valkey = job('valkey')
  return {
    uid: 'tenantry-infrastructure',
    title: 'Tenantry / Infrastructure',
    description: 'The functions’ database pools, PgBouncer, PostgreSQL (CloudNativePG) and Valkey.',
    variables: [],
    rows: [
      {
        title: 'Function pools',
        panels: [
          {
            title: 'Connections held and configured',
            unit: 'short',
            targets: [
              {
                expr: 'sum by (function) (db_pool_reserved_connections)',
                legend: '{{function}} held',
              },
              { expr: 'sum by (function) (db_pool_max_connections)', legend: '{{function}} size' },
            ],
          },
          {
            title: 'Transactions waiting',
            unit: 'short',
            targets: [
              { expr: 'sum by (function) (db_pool_reserve_waiting)', legend: '{{function}}' },
            ],
          },
          {
            title: 'Wait for a connection p99',
            unit: 's',
            targets: [
              {
                expr: quantile(0.99, 'db_pool_reserve_wait_seconds_bucket', 'function'),
                legend: '{{function}}',
              },
            ],
          },
        ],
      },
      {
        title: 'PgBouncer (tenantry-db-pooler)',
        panels: [
          {
            title: 'PgBouncers up',
            kind: 'stat',
            unit: 'short',
            targets: [{ expr: `sum(cnpg_pgbouncer_up{${job('pooler')}})`, legend: 'up' }],
          },
          {
            title: 'Clients: active and waiting',
            unit: 'short',
            width: 6,
            targets: [
              { expr: `sum(cnpg_pgbouncer_pools_cl_active{${pooler}})`, legend: 'active' },
              { expr: `sum(cnpg_pgbouncer_pools_cl_waiting{${pooler}})`, legend: 'waiting' },
            ],
          },
          {
            title: 'Server connections',
            unit: 'short',
            width: 6,
            targets: [
              { expr: `sum(cnpg_pgbouncer_pools_sv_active{${pooler}})`, legend: 'active' },
              { expr: `sum(cnpg_pgbouncer_pools_sv_idle{${pooler}})`, legend: 'idle' },
            ],
          },
          {
            title: 'Longest client wait',
            unit: 's',
            width: 6,
            targets: [
              { expr: `max by (pod) (cnpg_pgbouncer_pools_maxwait{${pooler}})`, legend: '{{pod}}' },
            ],
          },
        ],
      },
      {
        title: 'PostgreSQL (tenantry-db)',
        panels: [
          {
            title: 'Instances up',
            kind: 'stat',
            unit: 'short',
            targets: [{ expr: `sum(cnpg_collector_up{${pg}})`, legend: 'up' }],
          },
          {
            title: 'Backends by state',
            unit: 'short',
            width: 6,
            targets: [
              {
                expr: `sum by (state) (cnpg_backends_total{${pg}, datname="${DATABASE}"})`,
                legend: '{{state}}',
              },
              { expr: `sum(cnpg_backends_waiting_total{${pg}})`, legend: 'waiting on a lock' },
            ],
          },
          {
            title: 'Transactions',
            unit: 'ops',
            width: 6,
            targets: ['xact_commit', 'xact_rollback'].map((column) => ({
              expr: `sum(rate(cnpg_pg_stat_database_${column}{${pg}, datname="${DATABASE}"}[${RATE}]))`,
              legend: column === 'xact_commit' ? 'commits' : 'rollbacks',
            })),
          },
          {
            title: 'Replication lag',
            unit: 's',
            width: 6,
            targets: [{ expr: `max by (pod) (cnpg_pg_replication_lag{${pg}})`, legend: '{{pod}}' }],
          },
          {
            title: 'Database size',
            unit: 'bytes',
            width: 12,
            targets: [
              {
                expr: `max(cnpg_pg_database_size_bytes{${pg}, datname="${DATABASE}"})`,
                legend: DATABASE,
              },
            ],
          },
          {
            title: 'Deadlocks',
            unit: 'short',
            width: 12,
            targets: [
              {
                expr: `sum(increase(cnpg_pg_stat_database_deadlocks{${pg}, datname="${DATABASE}"}[${RATE}]))`,
                legend: 'deadlocks',
              },
            ],
          },
        ],
      },
      {
        title: 'Valkey',
        panels: [
          {
            title: 'Valkey up',
            kind: 'stat',
            unit: 'short',
            targets: [{ expr: `max(redis_up{${valkey}})`, legend: 'up' }],
          },
          {
            title: 'Clients',
            unit: 'short',
            width: 6,
            targets: [
              { expr: `sum(redis_connected_clients{${valkey}})`, legend: 'connected' },
              { expr: `sum(redis_blocked_clients{${valkey}})`, legend: 'blocked' },
            ],
          },
          {
            title: 'Memory',
            unit: 'bytes',
            width: 6,
            targets: [
              { expr: `sum(redis_memory_used_bytes{${valkey}})`, legend: 'used' },
              { expr: `sum(redis_memory_max_bytes{${valkey}})`, legend: 'maxmemory' },
            ],
          },
          {
            title: 'Commands',
            unit: 'ops',
            width: 6,
            targets: [
              {
                expr: `sum(rate(redis_commands_processed_total{${valkey}}[${RATE}]))`,
                legend: 'commands',
              },
            ],
          },
          {
            title: 'Pub/sub channels',
            description: 'Config hints and chat fan-out channels.',
            unit: 'short',
            width: 12,
            targets: [{ expr: `sum(redis_pubsub_channels{${valkey}})`, legend: 'channels' }],
          },
          {
            title: 'Rejected connections and evicted keys',
            unit: 'ops',
            width: 12,
            targets: [
              {
                expr: `sum(rate(redis_rejected_connections_total{${valkey}}[${RATE}]))`,
                legend: 'rejected connections',
              },
              {
                expr: `sum(rate(redis_evicted_keys_total{${valkey}}[${RATE}]))`,
                legend: 'evicted keys',
              },
            ],
          },
        ],
      },
    ],
  }
}

export function dashboards(): DashboardSpec[] {
  return [functionsDashboard(), businessDashboard(), infrastructureDashboard()]
}
