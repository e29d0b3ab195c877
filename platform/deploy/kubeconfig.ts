import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { DeployError } from './errors.ts'

/**
 * The kubeconfig, read as kubectl reads it ($KUBECONFIG, else ~/.kube/config, else the
 * pod's service account). `loadFromDefault` alone falls back to http://localhost:8080
 * when there is none, which would surface as a confusing "connection refused"; looking
 * for the files first turns that into "no kubeconfig".
 */
export function loadKubeConfig(): KubeConfig {
  const files = kubeconfigFiles(process.env)
  const kc = new KubeConfig()
  try {
    kc.loadFromDefault()
  } catch (error) {
    throw new DeployError(
      'ERR_KUBECONFIG',
      `cannot read kubeconfig ${files.join(delimiter)}: ${(error as Error).message}`,
    )
  }
  return kc
}

/** The files `loadFromDefault` will read, or a DeployError when there are none. */
export function kubeconfigFiles(env: NodeJS.ProcessEnv): string[] {
  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter(Boolean)
    // The client reads the first file unconditionally, so any missing one is fatal here.
    const missing = files.filter((file) => !existsSync(file))
    if (missing.length > 0) {
      throw new DeployError(
        'ERR_KUBECONFIG',
        `no kubeconfig: ${missing.join(', ')} (from KUBECONFIG) does not exist`,
      )
    }
    return files
  }
  const home = env.HOME ?? env.USERPROFILE
  const file = home ? join(home, '.kube', 'config') : undefined
  if (file && existsSync(file)) return [file]
  if (existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) return ['(in-cluster)']
  throw new DeployError(
    'ERR_KUBECONFIG',
    `no kubeconfig: KUBECONFIG is not set and ${file ?? '~/.kube/config'} does not exist`,
  )
}

/** Switches to `context` when given; either way the current one must name a cluster. */
export function useContext(kc: KubeConfig, context: string | undefined): void {
  const known = () => (kc.getContexts() ?? []).map((c) => c.name)
  if (context !== undefined) {
    if (!kc.getContextObject(context)) {
      throw new DeployError(
        'ERR_KUBECONFIG',
        `context "${context}" is not in the kubeconfig; known: ${known().join(', ') || 'none'}`,
      )
    }
    kc.setCurrentContext(context)
  }
  const current = kc.getCurrentContext()
  if (!current || !kc.getContextObject(current)) {
    throw new DeployError(
      'ERR_KUBECONFIG',
      `the kubeconfig has no current context; pass --context (known: ${known().join(', ') || 'none'})`,
    )
  }
  if (!kc.getCurrentCluster()) {
    throw new DeployError(
      'ERR_KUBECONFIG',
      `context "${current}" names a cluster that is not in the kubeconfig`,
    )
  }
}
