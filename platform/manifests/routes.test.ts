import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { FUNCTIONS } from '#platform/functions.ts'
import { gatewayTable, ownerOf } from '#platform/gateway.ts'
import type { PathMatch } from '#shared/runtime/definition.ts'
import { clusterLocalHost, LOCAL_GATEWAY_SERVICE, PUBLIC_GATEWAY } from './routes.ts'

/**
 * The committed HTTPRoutes (knative/base/routes.yaml) route every request exactly as
 * `npm start` does (platform/gateway.ts), read back from the YAML a cluster gets. The
 * routes' matches are ordered by gatewayTable, which applies the precedence Envoy Gateway
 * applies across the HTTPRoutes of one listener (Exact, then RegularExpression, then the
 * longest PathPrefix); what is tested is that the YAML holds the same matches, owners
 * and hosts as the definitions.
 */

interface Rule {
  owner: string
  match: PathMatch
  host: string
  backend: { namespace: string; name: string; port: number } | undefined
}

/** The fields of a committed HTTPRoute this test reads. */
interface HttpRouteDocument {
  kind: string
  metadata: { name: string }
  spec: {
    parentRefs: unknown[]
    rules: {
      matches: { path: PathMatch }[]
      filters: { type: string; urlRewrite?: { hostname: string } }[]
      backendRefs: Rule['backend'][]
    }[]
  }
}

async function committedRules(): Promise<(Rule & { parents: unknown[] })[]> {
  const path = fileURLToPath(new URL('../../knative/base/routes.yaml', import.meta.url))
  const routes = parseAllDocuments(await readFile(path, 'utf8'))
    .map((doc) => doc.toJS() as HttpRouteDocument)
    .filter((doc) => doc.kind === 'HTTPRoute')
  return routes.flatMap((route) =>
    route.spec.rules.flatMap((rule) =>
      rule.matches.map((m) => ({
        owner: route.metadata.name,
        match: m.path,
        host: rule.filters.find((f) => f.type === 'URLRewrite')?.urlRewrite?.hostname ?? '',
        backend: rule.backendRefs[0],
        parents: route.spec.parentRefs,
      })),
    ),
  )
}

const rules = await committedRules()
const table = gatewayTable(
  [...new Set(rules.map((rule) => rule.owner))].map((name) => ({
    name,
    paths: rules.filter((rule) => rule.owner === name).map((rule) => rule.match),
  })),
)
/** The committed rule a request for this path takes, or undefined. */
const routed = (path: string) => {
  const owner = ownerOf(path, table)
  return rules.find((rule) => rule.owner === owner)
}

const SAMPLE_ID = '0b2c9f1e-0000-4000-8000-000000000000'
const routes = FUNCTIONS.flatMap((fn) => fn.routes.map((route) => ({ fn: fn.name, route })))

describe('the public HTTPRoutes route as npm start does', () => {
  it.each(routes.map((r) => [`${r.route.method.toUpperCase()} ${r.route.path}`, r] as const))(
    '%s reaches its own function, by its cluster-local host',
    (_label, { fn, route }) => {
      const path = route.path.replace(/:[A-Za-z]+/g, SAMPLE_ID)
      const rule = routed(path)
      expect(rule?.owner).toBe(fn)
      expect(rule?.owner).toBe(ownerOf(path))
      expect(rule?.host).toBe(clusterLocalHost(fn))
    },
  )

  it('has a route for every function and a rule for every path a function owns', () => {
    expect(new Set(rules.map((rule) => rule.owner))).toEqual(
      new Set(FUNCTIONS.map((fn) => fn.name)),
    )
    expect(rules.length).toBe(FUNCTIONS.reduce((n, fn) => n + fn.paths.length, 0))
  })

  it.each([
    '/metrics',
    '/healthz',
    '/readyz',
    '/',
    '/docs',
    '/v1',
    '/v1/authx',
    '/metrics/',
    '/healthz/live',
  ])('%s is not routed from outside the cluster', (path) => {
    expect(routed(path)).toBeUndefined()
    expect(ownerOf(path)).toBeUndefined()
  })

  it('sends every rule to the local gateway, attached to the public https listener only', async () => {
    for (const rule of rules) {
      expect(rule.backend).toMatchObject(LOCAL_GATEWAY_SERVICE)
      expect(rule.parents).toEqual([
        { group: 'gateway.networking.k8s.io', kind: 'Gateway', ...PUBLIC_GATEWAY },
      ])
    }
  })
})
