import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { renderKustomize } from '#test/manifests/render.ts'
import { ENVIRONMENT_NAMES, environment } from './environments.ts'
import { DATA_NAMESPACE, MONITORING_NAMESPACE } from './network-policies.ts'
import { LOCAL_GATEWAY_SERVICE, PUBLIC_GATEWAY } from './routes.ts'
import { NAMESPACE, REMOTE_VALUES, SECRET_STORE } from './variables.ts'

/**
 * What the generated knative/ manifests expect of the cluster, found in every rendered
 * provider overlay of clusters/ (written by hand): the public Gateway and listener the
 * HTTPRoutes attach to, which admits the functions' namespace; the local gateway's
 * Service they send to; a certificate for every environment's host; the secret store;
 * the namespaces the NetworkPolicies name; and the store values the ExternalSecrets read
 * being those the cluster's own ExternalSecrets read.
 */

const root = fileURLToPath(new URL('../..', import.meta.url))
const PROVIDERS = ['kind', 'aks', 'eks', 'gke', 'onprem']

interface Doc {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  // biome-ignore lint/suspicious/noExplicitAny: rendered objects of many kinds
  spec?: any
}

// Every directory these tests read, rendered once.
const DIRS = [
  ...PROVIDERS.flatMap((provider) => [
    `clusters/overlays/${provider}`,
    `argocd/overlays/${provider}`,
  ]),
  ...ENVIRONMENT_NAMES.map((env) => `knative/overlays/${env}`),
]
const rendered = new Map(
  await Promise.all(
    DIRS.map(async (dir) => [dir, (await renderKustomize(join(root, dir))) as Doc[]] as const),
  ),
)
const render = (dir: string): Doc[] => rendered.get(dir) ?? []

describe.each(PROVIDERS)('clusters/overlays/%s has what knative/ expects', (provider) => {
  const docs = render(`clusters/overlays/${provider}`)
  const find = (kind: string, name: string, namespace?: string) =>
    docs.find(
      (doc) =>
        doc.kind === kind && doc.metadata.name === name && doc.metadata.namespace === namespace,
    )

  it('the public Gateway’s https listener, admitting the functions’ namespace', () => {
    const gateway = find('Gateway', PUBLIC_GATEWAY.name, PUBLIC_GATEWAY.namespace)
    const listener = gateway?.spec.listeners.find(
      (l: { name: string }) => l.name === PUBLIC_GATEWAY.sectionName,
    )
    expect(listener?.protocol).toBe('HTTPS')
    const admitted = listener.allowedRoutes.namespaces.selector.matchLabels
    expect(find('Namespace', NAMESPACE)?.metadata.labels).toMatchObject(admitted)
  })

  it('a certificate for every environment’s API host', () => {
    const certificate = docs.find(
      (doc) => doc.kind === 'Certificate' && doc.metadata.namespace === PUBLIC_GATEWAY.namespace,
    )
    const hosts = ENVIRONMENT_NAMES.map((name) => environment(name).apiHost)
    expect(certificate?.spec.dnsNames).toEqual(expect.arrayContaining(hosts))
  })

  it('the local gateway’s Service by its fixed name, and net-gateway-api told of it', () => {
    const proxy = docs.find(
      (doc) =>
        doc.kind === 'EnvoyProxy' &&
        doc.spec.provider.kubernetes.envoyService?.name === LOCAL_GATEWAY_SERVICE.name,
    )
    expect(proxy?.spec.provider.kubernetes.envoyService.type).toBe('ClusterIP')
    expect(find('Gateway', 'eg-internal', LOCAL_GATEWAY_SERVICE.namespace)).toBeDefined()
    expect(JSON.stringify(docs.find((doc) => doc.kind === 'KnativeServing'))).toContain(
      `${LOCAL_GATEWAY_SERVICE.namespace}/${LOCAL_GATEWAY_SERVICE.name}`,
    )
  })

  it('the secret store, and the namespaces the NetworkPolicies name', () => {
    expect(find('ClusterSecretStore', SECRET_STORE)).toBeDefined()
    // A Namespace object, or the destination of an Application that creates it.
    const namespaces = new Set([
      ...docs.filter((doc) => doc.kind === 'Namespace').map((doc) => doc.metadata.name),
      ...docs
        .filter(
          (doc) =>
            doc.kind === 'Application' &&
            doc.spec.syncPolicy?.syncOptions?.includes('CreateNamespace=true'),
        )
        .map((doc) => doc.spec.destination.namespace),
    ])
    const named = [
      NAMESPACE,
      DATA_NAMESPACE,
      MONITORING_NAMESPACE,
      LOCAL_GATEWAY_SERVICE.namespace,
      'knative-serving',
    ]
    expect(named.filter((name) => !namespaces.has(name))).toEqual([])
    expect(docs.find((doc) => doc.kind === 'KnativeServing')?.metadata.namespace).toBe(
      'knative-serving',
    )
  })

  it('the database and Valkey passwords under the names the functions’ Secrets read', () => {
    const read = docs
      .filter((doc) => doc.kind === 'ExternalSecret' && doc.metadata.namespace === DATA_NAMESPACE)
      .flatMap((doc) => doc.spec.data.map((entry: { remoteRef: object }) => entry.remoteRef))
    for (const name of ['appPassword', 'ownerPassword', 'valkeyPassword'] as const) {
      expect(read).toContainEqual(REMOTE_VALUES[name])
    }
  })
})

describe.each(PROVIDERS)('argocd/overlays/%s admits what knative/ holds', (provider) => {
  const project = render(`argocd/overlays/${provider}`).find(
    (doc) => doc.kind === 'AppProject' && doc.metadata.name === 'applications',
  )

  it.each(ENVIRONMENT_NAMES)(
    'the applications project may sync every object of knative/overlays/%s',
    (env) => {
      type Kind = { group: string; kind: string }
      const allowed = (list: Kind[], doc: Doc) =>
        list.some(
          (entry) =>
            entry.kind === doc.kind &&
            entry.group === (doc.apiVersion.includes('/') ? doc.apiVersion.split('/')[0] : ''),
        )
      const refused = render(`knative/overlays/${env}`)
        .filter((doc) =>
          doc.metadata.namespace === undefined
            ? !allowed(project?.spec.clusterResourceWhitelist ?? [], doc)
            : !allowed(project?.spec.namespaceResourceWhitelist ?? [], doc) ||
              !project?.spec.destinations.some(
                (d: { namespace: string }) => d.namespace === doc.metadata.namespace,
              ),
        )
        .map((doc) => `${doc.kind}/${doc.metadata.namespace ?? ''}/${doc.metadata.name}`)
      expect(refused).toEqual([])
    },
  )
})

describe.each(PROVIDERS)('the platform project admits clusters/overlays/%s', (provider) => {
  const projects = render(`argocd/overlays/${provider}`).filter((doc) => doc.kind === 'AppProject')
  const docs = render(`clusters/overlays/${provider}`)
  const project = (name: string) => projects.find((doc) => doc.metadata.name === name)?.spec
  const destinationOk = (spec: { destinations: { namespace: string }[] }, namespace = '') =>
    spec.destinations.some((d) => d.namespace === namespace || d.namespace === '*')

  it('every object’s namespace is a destination of the platform project', () => {
    const platform = project('platform')
    const outside = docs
      .filter((doc) => !destinationOk(platform, doc.metadata.namespace))
      .map((doc) => `${doc.kind}/${doc.metadata.namespace}/${doc.metadata.name}`)
    expect(outside).toEqual([])
  })

  it('every Application’s sources and destination are its project’s', () => {
    const refused: string[] = []
    for (const app of docs.filter((doc) => doc.kind === 'Application')) {
      const spec = project(app.spec.project)
      const repos = [app.spec.source, ...(app.spec.sources ?? [])]
        .filter((source) => source?.repoURL)
        .map((source) => source.repoURL as string)
      for (const repo of repos) {
        if (!spec?.sourceRepos.includes(repo)) refused.push(`${app.metadata.name}: source ${repo}`)
      }
      if (!spec || !destinationOk(spec, app.spec.destination.namespace)) {
        refused.push(`${app.metadata.name}: destination ${app.spec.destination.namespace}`)
      }
    }
    expect(refused).toEqual([])
  })
})
