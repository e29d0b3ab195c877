import { DATA_NAMESPACE, MONITORING_NAMESPACE } from '#platform/manifests/network-policies.ts'
import { NAMESPACE } from '#platform/manifests/variables.ts'

/**
 * What Prometheus scrapes, one PodMonitor per kind of target, all in the monitoring
 * namespace (kube-prometheus-stack selects monitors from every namespace; see
 * clusters/base/apps/kube-prometheus-stack.yaml). Pods, not Services: a Knative revision's
 * Services point at the activator while it is scaled to zero, and a scrape must reach
 * each pod.
 *
 * Facts the selectors and ports rest on, checked against the upstream sources:
 * - Knative Serving 1.23 renames the user container's port to `user-port` in the pod
 *   (pkg/reconciler/revision/resources/deploy.go, buildContainerPorts); `http1` names
 *   only the protocol in the Service. Its pods carry `serving.knative.dev/service`.
 * - queue-proxy serves its Prometheus metrics on port `http-usermetric` (9091) when
 *   config-observability sets `request-metrics-protocol: prometheus` (pkg/queue/sharedmain/
 *   otel.go; the default is none).
 * - CloudNativePG 1.30: instance pods (`cnpg.io/cluster`, `cnpg.io/podRole: instance`,
 *   the operator's own PodMonitor selector, pkg/specs/podmonitor.go) on port `metrics`
 *   9187; PgBouncer pods (`cnpg.io/poolerName`, `cnpg.io/podRole: pooler`) on port
 *   `metrics` 9127 (docs/src/monitoring.md, connection_pooling.md).
 * - The valkey chart 0.11.0's exporter sidecar (redis_exporter) on port `metrics` 9121,
 *   pods labelled with the chart's selector labels (templates/deploy_valkey.yaml).
 */

/** Labels the Prometheus Operator (v0.93) gives every PodMonitor target (promcfg.go). */
export const OPERATOR_TARGET_LABELS = [
  'namespace',
  'container',
  'pod',
  'job',
  'endpoint',
  'instance',
]

export interface ScrapeJob {
  /** The PodMonitor's name; the series' `job` is `monitoring/<name>`. */
  name: string
  /** What it scrapes, for the manifest's readers. */
  description: string
  /** The pods' namespace. */
  namespace: string
  matchLabels: Record<string, string>
  /** Labels the pods must carry, whatever their value. */
  exists?: string[]
  /** The container port's name. */
  port: string
  /** Pod label → the target label it is copied into. */
  podLabels?: Record<string, string>
}

const FUNCTION_PODS = {
  namespace: NAMESPACE,
  matchLabels: {
    'app.kubernetes.io/part-of': 'tenantry',
    'app.kubernetes.io/component': 'function',
  },
  exists: ['serving.knative.dev/service'],
  // The Knative Service is the function: `function="orgs"` on every series of its pods.
  podLabels: { 'serving.knative.dev/service': 'function' },
}

export const SCRAPE_JOBS = {
  functions: {
    name: 'tenantry-functions',
    description: "Each function's own /metrics (prom-client), from its user container.",
    ...FUNCTION_PODS,
    port: 'user-port',
  },
  queueProxy: {
    name: 'tenantry-queue-proxy',
    description: "Knative's queue-proxy beside each function: requests as the proxy saw them.",
    ...FUNCTION_PODS,
    port: 'http-usermetric',
  },
  postgres: {
    name: 'tenantry-postgres',
    description: 'The CloudNativePG instances of tenantry-db (their built-in exporter).',
    namespace: DATA_NAMESPACE,
    matchLabels: { 'cnpg.io/cluster': 'tenantry-db', 'cnpg.io/podRole': 'instance' },
    port: 'metrics',
  },
  pooler: {
    name: 'tenantry-pooler',
    description: 'The PgBouncer pods of tenantry-db-pooler (their built-in exporter).',
    namespace: DATA_NAMESPACE,
    matchLabels: { 'cnpg.io/poolerName': 'tenantry-db-pooler', 'cnpg.io/podRole': 'pooler' },
    port: 'metrics',
  },
  valkey: {
    name: 'tenantry-valkey',
    description: "Valkey's redis_exporter sidecar (metrics.enabled in the valkey Application).",
    namespace: DATA_NAMESPACE,
    matchLabels: { 'app.kubernetes.io/name': 'valkey', 'app.kubernetes.io/instance': 'valkey' },
    port: 'metrics',
  },
} as const satisfies Record<string, ScrapeJob>

export type ScrapeJobName = keyof typeof SCRAPE_JOBS

/** The labels Prometheus puts on every series of a job's targets. */
export function targetLabels(job: ScrapeJob): string[] {
  return [...OPERATOR_TARGET_LABELS, ...Object.values(job.podLabels ?? {})]
}

/** The `job` label value of a job's series. */
export const jobLabel = (job: ScrapeJob) => `${MONITORING_NAMESPACE}/${job.name}`

/** A Prometheus relabelling reads pod label `a.b/c` as `__meta_kubernetes_pod_label_a_b_c`. */
const metaLabel = (podLabel: string) =>
  `__meta_kubernetes_pod_label_${podLabel.replace(/[^a-zA-Z0-9_]/g, '_')}`

export function podMonitor(
  job: ScrapeJob,
  metadata: { labels: Record<string, string>; annotations: Record<string, string> },
) {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: {
      name: job.name,
      namespace: MONITORING_NAMESPACE,
      labels: metadata.labels,
      annotations: { ...metadata.annotations, 'tenantry.io/description': job.description },
    },
    spec: {
      namespaceSelector: { matchNames: [job.namespace] },
      selector: {
        matchLabels: job.matchLabels,
        ...(job.exists
          ? { matchExpressions: job.exists.map((key) => ({ key, operator: 'Exists' })) }
          : {}),
      },
      podMetricsEndpoints: [
        {
          port: job.port,
          path: '/metrics',
          interval: '30s',
          ...(job.podLabels
            ? {
                relabelings: Object.entries(job.podLabels).map(([podLabel, target]) => ({
                  sourceLabels: [metaLabel(podLabel)],
                  targetLabel: target,
                })),
              }
            : {}),
        },
      ],
    },
  }
}
