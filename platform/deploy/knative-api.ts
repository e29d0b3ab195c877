import {
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node'

export const SERVING_API_VERSION = 'serving.knative.dev/v1'
/** Who owns the fields this tool applies (server-side apply's field manager). */
export const FIELD_MANAGER = 'tenantry-deploy'

/** A Knative condition, as Service, Configuration and Route report them. */
export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
}

/** The part of a Knative Service's status the wait reads. */
export interface ServiceStatus {
  observedGeneration?: number
  latestCreatedRevisionName?: string
  latestReadyRevisionName?: string
  url?: string
  conditions?: Condition[]
}

export interface ServiceObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace: string; generation?: number }
  status?: ServiceStatus
}

/** What is applied: a Knative Service manifest, a plain object. */
export interface ServiceManifest {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace: string }
}

// `resource()` is the client's own discovery lookup (GET /apis/<group>/<version>, cached
// for the apply that follows); it is protected, so a subclass lends it out.
class ObjectApi extends KubernetesObjectApi {
  discover(apiVersion: string, kind: string) {
    return this.resource(apiVersion, kind)
  }
}

/** The three calls a deploy makes, against the cluster of the kubeconfig's current context. */
export interface KnativeApi {
  /** The plural that discovery lists for Knative's Service kind, or undefined if not served. */
  servicesResource(): Promise<string | undefined>
  apply(manifest: ServiceManifest): Promise<ServiceObject>
  read(namespace: string, name: string): Promise<ServiceObject>
}

export function knativeApi(kc: KubeConfig): KnativeApi {
  const api = kc.makeApiClient(ObjectApi)
  return {
    async servicesResource() {
      return (await api.discover(SERVING_API_VERSION, 'Service'))?.name
    },
    async apply(manifest) {
      // A copy: the client fills in defaults on the object it is given.
      const body = structuredClone(manifest) as KubernetesObject
      // force: this tool is how a developer says "run this now", so it takes over fields
      // another manager (Argo CD, an earlier kubectl) last set, as `kubectl apply
      // --server-side --force-conflicts` does.
      const applied = await api.patch(
        body,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      )
      return applied as unknown as ServiceObject
    },
    async read(namespace, name) {
      const found = await api.read({
        apiVersion: SERVING_API_VERSION,
        kind: 'Service',
        metadata: { name, namespace },
      })
      return found as unknown as ServiceObject
    },
  }
}
