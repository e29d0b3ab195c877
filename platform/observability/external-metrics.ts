import type { ScrapeJobName } from './scrape.ts'

/**
 * The metrics of exporters this repository does not run in its tests (queue-proxy,
 * CloudNativePG, PgBouncer, Valkey's redis_exporter), as far as the dashboards and rules
 * use them: each with the labels its exporter gives it (the scrape adds its target labels,
 * scrape.ts) and where that was read. The metrics test checks every expression naming one
 * of them against this list instead of a scrape. Add a metric here only after reading it
 * in the exporter's source or documentation at the version the cluster pins.
 */

export interface ExternalMetric {
  name: string
  /** The exporter's own labels, without the scrape's. */
  labels: readonly string[]
  /** Which scrape job collects it. */
  job: ScrapeJobName
  /** Where its name and labels were read. */
  source: string
}

const QUEUE_PROXY =
  'knative/serving knative-v1.23.0 pkg/queue/request_metric.go (OTel instruments), exported by ' +
  'knative/pkg observability/metrics/prometheus_enabled.go with otlptranslator ' +
  'UnderscoreEscapingWithSuffixes (unit s → _seconds; {request} adds nothing)'
const CNPG_DEFAULT_QUERIES =
  'cloudnative-pg/cloudnative-pg v1.30.0 config/manager/default-monitoring.yaml (cnpg_<query>_<column>)'
const CNPG_COLLECTOR =
  'cloudnative-pg/cloudnative-pg v1.30.0 docs/src/monitoring.md (predefined metrics)'
const PGBOUNCER =
  'cloudnative-pg/cloudnative-pg v1.30.0 docs/src/connection_pooling.md and ' +
  'pkg/management/pgbouncer/metricsserver (SHOW POOLS → cnpg_pgbouncer_pools_*)'
const REDIS_EXPORTER =
  'oliver006/redis_exporter v1.79.0 (the valkey chart 0.11.0 default) exporter/exporter.go ' +
  '(INFO fields → names, namespace "redis")'

export const EXTERNAL_METRICS: readonly ExternalMetric[] = [
  // Knative queue-proxy, per request it proxied to the user container.
  ...['bucket', 'sum', 'count'].map((part) => ({
    name: `kn_serving_invocation_duration_seconds_${part}`,
    labels: ['http_response_status_code', ...(part === 'bucket' ? ['le'] : [])],
    job: 'queueProxy' as const,
    source: QUEUE_PROXY,
  })),
  { name: 'kn_serving_queue_depth', labels: [], job: 'queueProxy', source: QUEUE_PROXY },

  // CloudNativePG instances.
  { name: 'cnpg_collector_up', labels: ['cluster'], job: 'postgres', source: CNPG_COLLECTOR },
  {
    name: 'cnpg_backends_total',
    labels: ['datname', 'usename', 'application_name', 'state'],
    job: 'postgres',
    source: CNPG_DEFAULT_QUERIES,
  },
  {
    name: 'cnpg_backends_waiting_total',
    labels: [],
    job: 'postgres',
    source: CNPG_DEFAULT_QUERIES,
  },
  {
    name: 'cnpg_pg_database_size_bytes',
    labels: ['datname'],
    job: 'postgres',
    source: CNPG_DEFAULT_QUERIES,
  },
  { name: 'cnpg_pg_replication_lag', labels: [], job: 'postgres', source: CNPG_DEFAULT_QUERIES },
  ...['xact_commit', 'xact_rollback', 'deadlocks'].map((column) => ({
    name: `cnpg_pg_stat_database_${column}`,
    labels: ['datname'],
    job: 'postgres' as const,
    source: CNPG_DEFAULT_QUERIES,
  })),

  // PgBouncer (the transaction-mode Pooler the functions connect through).
  { name: 'cnpg_pgbouncer_up', labels: [], job: 'pooler', source: PGBOUNCER },
  ...['cl_active', 'cl_waiting', 'sv_active', 'sv_idle', 'maxwait'].map((column) => ({
    name: `cnpg_pgbouncer_pools_${column}`,
    labels: ['database', 'user'],
    job: 'pooler' as const,
    source: PGBOUNCER,
  })),

  // Valkey, through redis_exporter.
  ...[
    'up',
    'connected_clients',
    'blocked_clients',
    'memory_used_bytes',
    'memory_max_bytes',
    'pubsub_channels',
    'commands_processed_total',
    'rejected_connections_total',
    'evicted_keys_total',
  ].map((name) => ({
    name: `redis_${name}`,
    labels: [],
    job: 'valkey' as const,
    source: REDIS_EXPORTER,
  })),
]
