import type { AnyFunction, PathMatch } from '#shared/runtime/definition.ts'
import type { Environment } from './environments.ts'
import { labelsOf, syncWave } from './metadata.ts'
import { NAMESPACE } from './variables.ts'

/**
 * The public API host (ADR-0010): one HTTPRoute per function on the public Gateway,
 * matching exactly the paths the function owns in the gateway table (platform/gateway.ts,
 * the table `npm start` dispatches by), and sending them to Knative's local gateway with
 * the function's cluster-local host name. Knative then routes the request to the
 * function's revisions (through the activator when it is scaled to zero).
 *
 * A Knative Service cannot be an HTTPRoute backend itself: its Kubernetes Service is an
 * ExternalName, which Envoy Gateway (and others) resolve to no endpoints and answer 503.
 * Nothing but these paths is routed, so a function's /metrics, /healthz and /readyz stay
 * inside the cluster.
 */

export const PUBLIC_GATEWAY = {
  namespace: 'tenantry-gateway',
  name: 'tenantry-api',
  sectionName: 'https',
}
export const LOCAL_GATEWAY_SERVICE = {
  namespace: 'eg-internal',
  name: 'knative-internal',
  port: 80,
}

/** The host Knative's local gateway knows a cluster-local function by. */
export function clusterLocalHost(name: string): string {
  return `${name}.${NAMESPACE}.svc.cluster.local`
}

export function httpRoute(fn: AnyFunction, env: Environment) {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {
      name: fn.name,
      namespace: NAMESPACE,
      labels: labelsOf(fn.name, 'route'),
      annotations: syncWave(1),
    },
    spec: {
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', ...PUBLIC_GATEWAY }],
      hostnames: [env.apiHost],
      rules: [
        {
          matches: fn.paths.map((path: PathMatch) => ({
            path: { type: path.type, value: path.value },
          })),
          filters: [{ type: 'URLRewrite', urlRewrite: { hostname: clusterLocalHost(fn.name) } }],
          backendRefs: [{ group: '', kind: 'Service', ...LOCAL_GATEWAY_SERVICE }],
          // The function's own budget, so the edge neither cuts a request Knative still
          // allows (a chat stream lives up to 600 s) nor waits longer than Knative will.
          timeouts: { request: `${fn.profile.timeoutSeconds}s` },
        },
      ],
    },
  }
}

/** Lets the HTTPRoutes in the functions' namespace send to the local gateway's Service. */
export function localGatewayGrant() {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: {
      name: `${NAMESPACE}-routes`,
      namespace: LOCAL_GATEWAY_SERVICE.namespace,
      labels: labelsOf('routes', 'route'),
      annotations: syncWave(-2),
    },
    spec: {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: NAMESPACE }],
      to: [{ group: '', kind: 'Service', name: LOCAL_GATEWAY_SERVICE.name }],
    },
  }
}
