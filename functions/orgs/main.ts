import { KubeConfig } from '@kubernetes/client-node'
import * as v from 'valibot'
import { startFunction } from '#shared/runtime/start-function.ts'
import { createOrgsApp } from './app.ts'
import { kubernetesProvisioner } from './provisioner/kubernetes.ts'
import { noProvisioner, type Provisioner } from './provisioner/provisioner.ts'

// The orgs function's own variables, checked in the same pass as the common ones.
const ORGS_ENV = {
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
}

function provisionerFrom(env: {
  ORG_PROVISIONER: 'none' | 'kubernetes'
  ORG_NAMESPACE_PREFIX: string
}): Provisioner {
  if (env.ORG_PROVISIONER === 'none') return noProvisioner
  // In a pod: the service account; elsewhere: $KUBECONFIG or ~/.kube/config.
  const kc = new KubeConfig()
  kc.loadFromDefault()
  return kubernetesProvisioner(kc, { namespacePrefix: env.ORG_NAMESPACE_PREFIX })
}

// The process entry: `node dist/orgs/index.mjs`, or `npm run dev -- orgs`.
await startFunction({
  name: 'orgs',
  services: ['ratelimits'],
  env: ORGS_ENV,
  build: (deps) => createOrgsApp({ ...deps, provisioner: provisionerFrom(deps.env) }),
})
