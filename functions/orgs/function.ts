import * as v from 'valibot'
import { defineFunction, SCALE_TO_ZERO } from '#shared/runtime/definition.ts'
import { createOrgsApp, ORGS_ROUTES } from './app.ts'
import type { OrgsDeps } from './deps.ts'
import { startSagaRecovery } from './lib/saga-recovery.ts'
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

async function provisionerFrom(env: {
  ORG_PROVISIONER: 'none' | 'kubernetes'
  ORG_NAMESPACE_PREFIX: string
}): Promise<Provisioner> {
  if (env.ORG_PROVISIONER === 'none') return noProvisioner
  // Imported only here: the Kubernetes client is most of the bundle (~2 MB) and a start
  // with ORG_PROVISIONER=none should not load it.
  const [{ KubeConfig }, { kubernetesProvisioner }] = await Promise.all([
    import('@kubernetes/client-node'),
    import('./provisioner/kubernetes.ts'),
  ])
  // In a pod: the service account; elsewhere: $KUBECONFIG or ~/.kube/config.
  const kc = new KubeConfig()
  kc.loadFromDefault()
  return kubernetesProvisioner(kc, { namespacePrefix: env.ORG_NAMESPACE_PREFIX })
}

/** The orgs function: orgs, their members and invites; org creation is a saga. */
export const orgs = defineFunction({
  name: 'orgs',
  description: 'Orgs, members and invites',
  services: ['ratelimits'],
  env: ORGS_ENV,
  routes: ORGS_ROUTES,
  paths: [
    { type: 'PathPrefix', value: '/v1/orgs' },
    { type: 'PathPrefix', value: '/v1/invites' },
  ],
  profile: SCALE_TO_ZERO,
  // Recovery compensates through the same provisioner the app creates with.
  prepare: async (deps): Promise<OrgsDeps> => ({
    ...deps,
    provisioner: await provisionerFrom(deps.env),
  }),
  build: createOrgsApp,
  background: (deps) => startSagaRecovery(deps),
})
