import { KubeConfig } from '@kubernetes/client-node'
import * as v from 'valibot'
import { loadEnv } from '#shared/env.ts'
import { startFunction } from '#shared/runtime/start-function.ts'
import { createOrgsApp } from './app.ts'
import { kubernetesProvisioner } from './provisioner/kubernetes.ts'
import { noProvisioner, type Provisioner } from './provisioner/provisioner.ts'

// The orgs function's own variables; startFunction validates the common ones.
const Env = v.object({
  ORG_PROVISIONER: v.optional(
    v.picklist(['none', 'kubernetes'], 'one of none, kubernetes'),
    'none',
  ),
  ORG_NAMESPACE_PREFIX: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[a-z][a-z0-9-]{0,20}$/, 'a DNS-label prefix of at most 21 characters'),
    ),
    'tenant-',
  ),
})

function provisionerFrom(env: v.InferOutput<typeof Env>): Provisioner {
  if (env.ORG_PROVISIONER === 'none') return noProvisioner
  // In a pod: the service account; elsewhere: $KUBECONFIG or ~/.kube/config.
  const kc = new KubeConfig()
  kc.loadFromDefault()
  return kubernetesProvisioner(kc, { namespacePrefix: env.ORG_NAMESPACE_PREFIX })
}

// The process entry: `node dist/orgs/index.mjs`, or `npm run dev -- orgs`.
const provisioner = provisionerFrom(loadEnv(Env))
await startFunction({
  name: 'orgs',
  services: ['ratelimits'],
  build: (deps) => createOrgsApp({ ...deps, provisioner }),
})
