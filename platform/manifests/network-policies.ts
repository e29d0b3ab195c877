import type { AnyFunction } from '#shared/runtime/definition.ts'
import { needsKubernetesApi } from './knative-service.ts'
import { labelsOf, PART_OF, syncWave } from './metadata.ts'
import { MIGRATE } from './migration-job.ts'
import { LOCAL_GATEWAY_SERVICE } from './routes.ts'
import { NAMESPACE } from './variables.ts'

/**
 * The functions' namespace denies all traffic but what is listed here:
 * - in: from Knative (the activator and autoscaler), its local gateway, and the metrics
 *   scraper — every request reaches a function through the first two;
 * - out: DNS, PostgreSQL through the pooler, Valkey, and the auth function's JWKS (through
 *   the local gateway); orgs also reaches the Kubernetes API to provision tenants; the
 *   migration Job reaches only the database primary.
 */

export const DATA_NAMESPACE = 'tenantry-data'
export const MONITORING_NAMESPACE = 'monitoring'

const FUNCTION_PODS = {
  matchLabels: { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/component': 'function' },
}

function namespace(name: string) {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } }
}

function policy(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name,
      namespace: NAMESPACE,
      labels: labelsOf(name, 'network-policy'),
      annotations: syncWave(-2),
    },
    spec,
  }
}

/** Egress to the pods of the data namespace with these labels, on one port. */
function toData(labels: Record<string, string>, port: number) {
  return {
    to: [{ ...namespace(DATA_NAMESPACE), podSelector: { matchLabels: labels } }],
    ports: [{ protocol: 'TCP', port }],
  }
}

const DNS = {
  to: [{ ...namespace('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
}

export function networkPolicies(functions: readonly AnyFunction[]) {
  const policies = [
    policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy('functions-ingress', {
      podSelector: FUNCTION_PODS,
      policyTypes: ['Ingress'],
      // No port list: Knative's queue-proxy in each pod listens on several (requests,
      // probes, metrics), and these three namespaces are the only callers either way.
      ingress: [
        { from: [namespace('knative-serving'), namespace(LOCAL_GATEWAY_SERVICE.namespace)] },
        { from: [namespace(MONITORING_NAMESPACE)] },
      ],
    }),
    policy('functions-egress', {
      podSelector: FUNCTION_PODS,
      policyTypes: ['Egress'],
      egress: [
        DNS,
        toData({ 'cnpg.io/poolerName': 'tenantry-db-pooler' }, 5432),
        toData({ 'app.kubernetes.io/name': 'valkey' }, 6379),
        {
          // The JWKS of auth, at its cluster-local address. Envoy Gateway runs a
          // listener on port 80 as container port 10080 (it shifts ports below 1024),
          // and a policy sees the pod's port.
          to: [namespace(LOCAL_GATEWAY_SERVICE.namespace)],
          ports: [
            { protocol: 'TCP', port: 80 },
            { protocol: 'TCP', port: 10080 },
          ],
        },
      ],
    }),
    policy('migrate-egress', {
      podSelector: { matchLabels: { 'app.kubernetes.io/name': MIGRATE } },
      policyTypes: ['Egress'],
      egress: [DNS, toData({ 'cnpg.io/cluster': 'tenantry-db' }, 5432)],
    }),
  ]
  for (const fn of functions.filter(needsKubernetesApi)) {
    policies.push(
      policy(`${fn.name}-kubernetes-api`, {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': fn.name } },
        policyTypes: ['Egress'],
        // The API server is not a pod a selector can name, and its address differs per
        // cluster: its ports are what this grants.
        egress: [
          {
            ports: [
              { protocol: 'TCP', port: 443 },
              { protocol: 'TCP', port: 6443 },
            ],
          },
        ],
      }),
    )
  }
  return policies
}
