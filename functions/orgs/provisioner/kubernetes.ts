import {
  ApiException,
  CoreV1Api,
  type KubeConfig,
  NetworkingV1Api,
  type V1Namespace,
  type V1NetworkPolicy,
  type V1ResourceQuota,
} from '@kubernetes/client-node'
import type { Provisioner } from './provisioner.ts'

export interface KubernetesProvisionerOptions {
  /** Namespace names are `<prefix><org id>`; a UUID keeps them valid DNS labels (≤ 63). */
  namespacePrefix?: string
  /** `spec.hard` of the tenant's ResourceQuota. */
  quota?: Record<string, string>
}

export const DEFAULT_QUOTA: Readonly<Record<string, string>> = Object.freeze({
  pods: '20',
  'requests.cpu': '2',
  'requests.memory': '4Gi',
  'limits.cpu': '4',
  'limits.memory': '8Gi',
  persistentvolumeclaims: '5',
})

const MANAGED_BY = 'tenantry-orgs'

/**
 * One namespace per org, with a ResourceQuota and a default-deny NetworkPolicy (no
 * ingress or egress unless a later policy allows it), restricted Pod Security.
 * Labels carry the org id only: never the org name, which is user input.
 * Deprovisioning deletes the namespace, and Kubernetes deletes what it holds.
 */
export function kubernetesProvisioner(
  kc: KubeConfig,
  options: KubernetesProvisionerOptions = {},
): Provisioner {
  const core = kc.makeApiClient(CoreV1Api)
  const networking = kc.makeApiClient(NetworkingV1Api)
  const prefix = options.namespacePrefix ?? 'tenant-'
  const quota = options.quota ?? DEFAULT_QUOTA
  return {
    kind: 'kubernetes',
    async provision(orgId) {
      const objects = tenantObjects(prefix + orgId, orgId, quota)
      const namespace = objects.namespace.metadata?.name as string
      // 409 AlreadyExists means an earlier attempt got this far: provisioning is retried
      // as a whole, so each create is "make sure it exists".
      await alreadyExistsIsFine(core.createNamespace({ body: objects.namespace }))
      await alreadyExistsIsFine(
        core.createNamespacedResourceQuota({ namespace, body: objects.quota }),
      )
      await alreadyExistsIsFine(
        networking.createNamespacedNetworkPolicy({ namespace, body: objects.networkPolicy }),
      )
    },
    async deprovision(orgId) {
      try {
        await core.deleteNamespace({ name: prefix + orgId, propagationPolicy: 'Foreground' })
      } catch (error) {
        if (!(error instanceof ApiException && error.code === 404)) throw error
      }
    },
  }
}

export function tenantObjects(namespace: string, orgId: string, quota: Record<string, string>) {
  const labels = {
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'tenantry.io/org-id': orgId,
  }
  const ns: V1Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace,
      labels: {
        ...labels,
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    },
  }
  const resourceQuota: V1ResourceQuota = {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'tenant-quota', namespace, labels },
    spec: { hard: { ...quota } },
  }
  const networkPolicy: V1NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny', namespace, labels },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  }
  return { namespace: ns, quota: resourceQuota, networkPolicy }
}

async function alreadyExistsIsFine(call: Promise<unknown>): Promise<void> {
  try {
    await call
  } catch (error) {
    if (!(error instanceof ApiException && error.code === 409)) throw error
  }
}
