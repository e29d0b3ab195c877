import type { AnyFunction } from '#shared/runtime/definition.ts'
import { needsKubernetesApi } from './knative-service.ts'
import { labelsOf, syncWave } from './metadata.ts'
import { NAMESPACE } from './variables.ts'

/**
 * What the functions may do in the cluster. Only orgs calls the Kubernetes API: it
 * provisions a namespace per org with a ResourceQuota and a default-deny NetworkPolicy
 * (functions/orgs/provisioner/kubernetes.ts), and deletes it when compensating. The
 * others run without a service account token at all.
 */
export function accessObjects(functions: readonly AnyFunction[]) {
  return functions.filter(needsKubernetesApi).flatMap((fn) => {
    const name = `tenantry-${fn.name}`
    const meta = (extra: Record<string, string> = {}) => ({
      labels: labelsOf(fn.name, 'access'),
      annotations: syncWave(-2),
      ...extra,
    })
    return [
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: fn.name, namespace: NAMESPACE, ...meta() },
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name, ...meta() },
        rules: [
          { apiGroups: [''], resources: ['namespaces'], verbs: ['create', 'delete'] },
          { apiGroups: [''], resources: ['resourcequotas'], verbs: ['create'] },
          { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name, ...meta() },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name: fn.name, namespace: NAMESPACE }],
      },
    ]
  })
}

/**
 * Functions holding long-lived connections (chat) keep all but one replica through a
 * voluntary disruption, so a node drain moves streams a replica at a time and their
 * clients resume on the others. maxUnavailable, not minAvailable: with min-scale 1 a
 * minimum of 1 would block every drain.
 */
export function disruptionBudgets(functions: readonly AnyFunction[]) {
  return functions
    .filter((fn) => fn.connections !== undefined)
    .map((fn) => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: {
        name: fn.name,
        namespace: NAMESPACE,
        labels: labelsOf(fn.name, 'function'),
        annotations: syncWave(-2),
      },
      spec: {
        maxUnavailable: 1,
        selector: { matchLabels: { 'serving.knative.dev/service': fn.name } },
      },
    }))
}
