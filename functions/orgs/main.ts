import * as v from 'valibot'
import { startFunction } from '#shared/runtime/start-function.ts'
import { createOrgsApp } from './app.ts'
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

// The process: `node dist/orgs/index.mjs`, whose loader calls main(), or
// `npm run dev -- orgs`, which runs this file as the main module.
export function main(): Promise<void> {
  // Built with the app; recovery compensates through the same provisioner.
  let provisioner: Provisioner = noProvisioner
  return startFunction({
    name: 'orgs',
    services: ['ratelimits'],
    env: ORGS_ENV,
    build: async (deps) => {
      provisioner = await provisionerFrom(deps.env)
      return createOrgsApp({ ...deps, provisioner })
    },
    background: (deps) => startSagaRecovery({ db: deps.db, provisioner, log: deps.log }),
  })
}

if (import.meta.main) await main()
