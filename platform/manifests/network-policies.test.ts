import { describe, expect, it } from 'vitest'
import { FUNCTIONS } from '#platform/functions.ts'
import type { AnyFunction } from '#shared/runtime/definition.ts'
import { BASE } from './environments.ts'
import { knativeService } from './knative-service.ts'
import { migrationJob } from './migration-job.ts'
import { networkPolicies } from './network-policies.ts'

/**
 * The functions' namespace: everything denied, then exactly the traffic the platform
 * needs. Read as Kubernetes reads NetworkPolicies: a pod's allowed egress is the union of
 * the rules of every policy whose podSelector matches its labels.
 */

type Policy = ReturnType<typeof networkPolicies>[number]
const policies = networkPolicies(FUNCTIONS)

function selects(policy: Policy, labels: Record<string, string>): boolean {
  const wanted = (policy.spec.podSelector as { matchLabels?: Record<string, string> }).matchLabels
  return Object.entries(wanted ?? {}).every(([key, value]) => labels[key] === value)
}

/** Each egress peer as `<namespace>/<pod labels>:<ports>`, for the pods with these labels. */
function egressOf(labels: Record<string, string>): string[] {
  return policies
    .filter((policy) => selects(policy, labels))
    .flatMap(
      (policy) => (policy.spec.egress ?? []) as { to?: object[]; ports: { port: number }[] }[],
    )
    .map((rule) => {
      const ports = rule.ports.map((p) => p.port).join(',')
      const peers = (rule.to ?? [{}]).map((peer) => {
        const { namespaceSelector, podSelector } = peer as {
          namespaceSelector?: { matchLabels: Record<string, string> }
          podSelector?: { matchLabels: Record<string, string> }
        }
        const ns = namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] ?? '*'
        const pods = Object.entries(podSelector?.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',')
        return `${ns}/${pods || '*'}:${ports}`
      })
      return peers.join(' ')
    })
    .sort()
}

const FUNCTION_EGRESS = [
  'eg-internal/*:80,10080',
  'kube-system/k8s-app=kube-dns:53,53',
  'tenantry-data/app.kubernetes.io/name=valkey:6379',
  'tenantry-data/cnpg.io/poolerName=tenantry-db-pooler:5432',
]

describe('the functions’ NetworkPolicies', () => {
  it('deny all ingress and egress to every pod of the namespace first', () => {
    const deny = policies.find((policy) => policy.metadata.name === 'default-deny')
    expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] })
  })

  it.each(FUNCTIONS.filter((fn) => fn.name !== 'orgs').map((fn) => [fn.name, fn] as const))(
    '%s reaches DNS, PostgreSQL through the pooler, Valkey and the JWKS through the local gateway, nothing else',
    (_name, fn) => {
      expect(egressOf(knativeService(fn).spec.template.metadata.labels)).toEqual(FUNCTION_EGRESS)
    },
  )

  it('orgs also reaches the Kubernetes API (it provisions tenant namespaces)', () => {
    const orgs = FUNCTIONS.find((fn) => fn.name === 'orgs')
    if (!orgs) throw new Error('no orgs')
    expect(egressOf(knativeService(orgs).spec.template.metadata.labels)).toEqual(
      [...FUNCTION_EGRESS, '*/*:443,6443'].sort(),
    )
  })

  it('the migration Job reaches only DNS and the database’s own pods', () => {
    expect(egressOf(migrationJob(BASE).spec.template.metadata.labels)).toEqual([
      'kube-system/k8s-app=kube-dns:53,53',
      'tenantry-data/cnpg.io/cluster=tenantry-db:5432',
    ])
  })

  it('let requests in only from Knative, its local gateway and the metrics scraper', () => {
    const auth = knativeService(FUNCTIONS[0] as AnyFunction).spec.template.metadata.labels
    const from = policies
      .filter((policy) => selects(policy, auth))
      .flatMap((policy) => (policy.spec.ingress ?? []) as { from: object[] }[])
      .flatMap((rule) => rule.from)
      .map(
        (peer) =>
          (peer as { namespaceSelector: { matchLabels: Record<string, string> } }).namespaceSelector
            .matchLabels['kubernetes.io/metadata.name'],
      )
    expect(from.sort()).toEqual(['eg-internal', 'knative-serving', 'monitoring'])
  })
})
