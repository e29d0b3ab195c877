import type { AnyFunction } from '#shared/runtime/definition.ts'
import { type EnvironmentName, environment, profileIn } from './environments.ts'
import { labelsOf, syncWave } from './metadata.ts'
import { containerEnv, type EnvVar, NAMESPACE } from './variables.ts'

/**
 * A function's Knative Service (serving.knative.dev/v1), from its definition's profile:
 * what knative/base holds, what an environment's overlay makes of it, and what
 * `npm run deploy` applies. Knative's rules that its schema does not state:
 * - autoscaling annotations on the revision template only (the Service's own metadata
 *   refuses them);
 * - one container port, named `http1` (HTTP/1.1 and WebSocket upgrades) — `h2c` would
 *   make the queue-proxy speak HTTP/2 cleartext to the app;
 * - a container-level security context only: pod-level fields need feature flags;
 * - no PORT variable: Knative sets it to the container port.
 */

export const CONTAINER_PORT = 8080
/** The uid the image runs as (Dockerfile); stated again so a pod never starts as root. */
export const RUN_AS_USER = 65532

export interface KnativeServiceManifest {
  apiVersion: 'serving.knative.dev/v1'
  kind: 'Service'
  metadata: {
    name: string
    namespace: string
    labels: Record<string, string>
    annotations: Record<string, string>
  }
  spec: { template: { metadata: TemplateMetadata; spec: RevisionSpec } }
}

interface TemplateMetadata {
  labels: Record<string, string>
  annotations: Record<string, string>
}

interface RevisionSpec {
  containerConcurrency: number
  timeoutSeconds: number
  responseStartTimeoutSeconds: number
  idleTimeoutSeconds: number
  enableServiceLinks: false
  automountServiceAccountToken: boolean
  serviceAccountName?: string
  containers: [Container]
}

interface Container {
  image: string
  ports: [{ name: 'http1'; containerPort: number }]
  env: EnvVar[]
  readinessProbe: Probe
  livenessProbe: Probe
  resources: {
    requests: { cpu: string; memory: string }
    limits: { memory: string }
  }
  securityContext: Record<string, unknown>
}

interface Probe {
  httpGet: { path: string }
  periodSeconds?: number
  failureThreshold?: number
  timeoutSeconds?: number
}

/** The functions that call the Kubernetes API, and so run as their own ServiceAccount. */
export function needsKubernetesApi(fn: AnyFunction): boolean {
  return fn.name === 'orgs'
}

export function knativeService(
  fn: AnyFunction,
  options: { environment?: EnvironmentName; image?: string } = {},
): KnativeServiceManifest {
  const env = environment(options.environment)
  const profile = profileIn(fn.profile, fn.name, env)
  const labels = labelsOf(fn.name, 'function')
  const ownAccount = needsKubernetesApi(fn)
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: fn.name,
      namespace: NAMESPACE,
      // Reached only through the public HTTPRoutes (routes.ts) and from inside the
      // cluster: Knative gives the function no route on its external gateway.
      labels: { ...labels, 'networking.knative.dev/visibility': 'cluster-local' },
      annotations: { ...syncWave(0), 'tenantry.io/description': fn.description },
    },
    spec: {
      template: {
        metadata: {
          labels,
          annotations: {
            'autoscaling.knative.dev/min-scale': String(profile.minScale),
            'autoscaling.knative.dev/max-scale': String(profile.maxScale),
            'autoscaling.knative.dev/target': String(profile.target),
          },
        },
        spec: {
          containerConcurrency: profile.containerConcurrency,
          timeoutSeconds: profile.timeoutSeconds,
          responseStartTimeoutSeconds: profile.responseStartTimeoutSeconds,
          idleTimeoutSeconds: profile.idleTimeoutSeconds,
          enableServiceLinks: false,
          automountServiceAccountToken: ownAccount,
          ...(ownAccount ? { serviceAccountName: fn.name } : {}),
          containers: [
            {
              image: options.image ?? env.image(fn.name),
              ports: [{ name: 'http1', containerPort: CONTAINER_PORT }],
              env: containerEnv(fn, env),
              // No period: Knative then probes readiness every few milliseconds while
              // a revision starts, which is what lets a cold start answer early.
              readinessProbe: { httpGet: { path: '/readyz' } },
              livenessProbe: {
                httpGet: { path: '/healthz' },
                periodSeconds: 10,
                timeoutSeconds: 2,
                failureThreshold: 3,
              },
              resources: profile.resources,
              securityContext: restrictedSecurityContext(),
            },
          ],
        },
      },
    },
  }
}

/** Pod Security's `restricted` profile, stated on the container (Knative allows it there). */
export function restrictedSecurityContext(): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  }
}
