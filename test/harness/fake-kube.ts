import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import { parse, stringify } from 'yaml'
import type { Clock } from '#platform/deploy/clock.ts'

/**
 * A fake Kubernetes API server for `npm run deploy`: node:http on 127.0.0.1, holding
 * Knative Services in memory. It serves discovery of serving.knative.dev/v1 (or, with
 * `knative: false`, 404s it as a cluster without Knative does), takes server-side apply
 * PATCHes and GETs of a Service, records every request, and after each apply that
 * changes a spec plays a script of status transitions over time, as Knative's
 * controller would write them. Time is the fake's `now`, so a test can share a virtual
 * clock with the deploy and play a five-minute timeout in no time.
 */

export interface FakeCondition {
  type: 'ConfigurationsReady' | 'RoutesReady' | 'Ready'
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  /** `{name}`, `{revision}` and `{image}` are replaced by the Service's. */
  message?: string
}

/** One status write of the controller, `at` ms after the apply that started the script. */
export interface StatusStep {
  at: number
  /** latestCreatedRevisionName becomes this generation's revision, `<name>-0000<generation>`. */
  revision?: boolean
  /** latestReadyRevisionName becomes this generation's revision. */
  readyRevision?: boolean
  /** Replace the conditions of these types. */
  conditions?: FakeCondition[]
  /** status.url becomes `http://<name>.<namespace>.svc.cluster.local`. */
  url?: boolean
}

const waiting = (at: number): StatusStep => ({
  at,
  revision: true,
  conditions: [
    { type: 'ConfigurationsReady', status: 'Unknown' },
    {
      type: 'Ready',
      status: 'Unknown',
      reason: 'RevisionMissing',
      message: 'Configuration "{name}" is waiting for a Revision to become ready.',
    },
    {
      type: 'RoutesReady',
      status: 'Unknown',
      reason: 'RevisionMissing',
      message: 'Configuration "{name}" is waiting for a Revision to become ready.',
    },
  ],
})

/** A revision that becomes ready: 1 s to start its pod, 0.5 s more to route to it. */
export const READY: readonly StatusStep[] = [
  waiting(0),
  { at: 1000, readyRevision: true, conditions: [{ type: 'ConfigurationsReady', status: 'True' }] },
  {
    at: 1500,
    url: true,
    conditions: [
      { type: 'Ready', status: 'True' },
      { type: 'RoutesReady', status: 'True' },
    ],
  },
]

const IMAGE_MISSING =
  'Revision "{revision}" failed with message: Unable to fetch image "{image}": failed to resolve image to digest: GET https://ghcr.io/v2/: MANIFEST_UNKNOWN: manifest unknown.'

/** A revision whose image cannot be pulled: failed for good after 1 s. */
export const FAILING_REVISION: readonly StatusStep[] = [
  waiting(0),
  {
    at: 1000,
    conditions: [
      {
        type: 'ConfigurationsReady',
        status: 'False',
        reason: 'RevisionFailed',
        message: IMAGE_MISSING,
      },
      { type: 'Ready', status: 'False', reason: 'RevisionFailed', message: IMAGE_MISSING },
    ],
  },
]

/** A revision that never becomes ready (a readiness probe that never passes). */
export const NEVER_READY: readonly StatusStep[] = [waiting(0)]

/** The controller never gets to the Service (it is down): no status is ever written. */
export const NO_CONTROLLER: readonly StatusStep[] = []

export interface FakeKubeOptions {
  /** Serve serving.knative.dev/v1 (default true). */
  knative?: boolean
  /** Played after every apply that changes a spec (default READY). */
  script?: readonly StatusStep[]
  /** The fake's clock in ms (default performance.now). */
  now?: () => number
  /** Namespaces that exist (default ['tenantry']). */
  namespaces?: readonly string[]
  /** Refuse applies with 403, as RBAC does for a user who may not patch Services. */
  forbidApply?: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  contentType: string | undefined
  authorization: string | undefined
  /** The parsed body (apply patches are YAML, JSON included). */
  body: unknown
}

interface StoredService {
  namespace: string
  name: string
  generation: number
  metadata: Record<string, unknown>
  spec: unknown
  /** What the status was when the script (re)started. */
  baseStatus: Record<string, unknown>
  appliedAt: number
}

export interface FakeKube {
  url: string
  requests: RecordedRequest[]
  /** The server-side apply PATCHes received, in order. */
  applies(): RecordedRequest[]
  /** A Service as it stands, as a GET would return it. */
  service(namespace: string, name: string): Record<string, unknown> | undefined
  /** Seed a Service, as if applied at `appliedAt` (by the fake's clock) with `script` played. */
  seed(
    manifest: { metadata: { name: string; namespace: string }; spec: unknown },
    at?: number,
  ): void
  /** Answer the next `count` GETs of a Service with `status` (503: the server is restarting). */
  failNextReads(count: number, status?: number): void
  /** A kubeconfig with contexts `fake` (current) and `other` (also this server). */
  kubeConfig(): KubeConfig
  /** The same kubeconfig as YAML, for the CLI's KUBECONFIG. */
  kubeconfigYaml(): string
  close(): Promise<void>
}

const GROUP_VERSION = 'serving.knative.dev/v1'
const SERVICES = new RegExp(`^/apis/${GROUP_VERSION}/namespaces/([^/]+)/services/([^/]+)$`)

export async function fakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const now = options.now ?? (() => performance.now())
  const script = options.script ?? READY
  const namespaces = new Set(options.namespaces ?? ['tenantry'])
  const services = new Map<string, StoredService>()
  const requests: RecordedRequest[] = []
  let failReads = { count: 0, status: 503 }

  const view = (stored: StoredService): Record<string, unknown> => ({
    apiVersion: GROUP_VERSION,
    kind: 'Service',
    metadata: { ...stored.metadata, generation: stored.generation },
    spec: stored.spec,
    status: statusAt(stored, now() - stored.appliedAt, script),
  })

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const text = await readText(req)
    const url = new URL(req.url ?? '/', 'http://fake')
    const contentType = req.headers['content-type']
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType,
      authorization: req.headers.authorization,
      body: text ? parse(text) : undefined,
    }
    requests.push(recorded)
    const reply = (code: number, payload: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' })
      res.end(JSON.stringify(payload))
    }
    const failure = (code: number, reason: string, message: string) =>
      reply(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code })

    if (req.method === 'GET' && url.pathname === `/apis/${GROUP_VERSION}`) {
      if (options.knative === false) {
        return failure(404, 'NotFound', 'the server could not find the requested resource')
      }
      return reply(200, discovery())
    }
    const match = SERVICES.exec(url.pathname)
    if (!match || options.knative === false) {
      return failure(404, 'NotFound', 'the server could not find the requested resource')
    }
    const [namespace, name] = [match[1] as string, match[2] as string]
    const key = `${namespace}/${name}`
    if (req.method === 'GET') {
      if (failReads.count > 0) {
        failReads.count--
        return failure(failReads.status, 'ServiceUnavailable', 'the server is restarting')
      }
      const stored = services.get(key)
      if (!stored)
        return failure(404, 'NotFound', `services.serving.knative.dev "${name}" not found`)
      return reply(200, view(stored))
    }
    if (req.method !== 'PATCH')
      return failure(405, 'MethodNotAllowed', `${req.method} is not served`)
    // What the real API server insists on for an apply, so the test fails if the client
    // sends anything else.
    if (contentType !== 'application/apply-patch+yaml') {
      return failure(
        415,
        'UnsupportedMediaType',
        `the fake takes only apply patches, got ${contentType}`,
      )
    }
    if (!recorded.query.fieldManager) {
      return failure(400, 'BadRequest', 'fieldManager is required for apply requests')
    }
    if (!namespaces.has(namespace)) {
      return failure(404, 'NotFound', `namespaces "${namespace}" not found`)
    }
    if (options.forbidApply) {
      return failure(
        403,
        'Forbidden',
        `services.serving.knative.dev "${name}" is forbidden: User "developer" cannot patch resource "services" in API group "serving.knative.dev" in the namespace "${namespace}"`,
      )
    }
    const body = recorded.body as {
      apiVersion?: string
      kind?: string
      metadata?: { name?: string; namespace?: string }
      spec?: unknown
    }
    if (
      body?.apiVersion !== GROUP_VERSION ||
      body.kind !== 'Service' ||
      body.metadata?.name !== name
    ) {
      return failure(400, 'BadRequest', 'the body is not this Service')
    }
    const existing = services.get(key)
    apply(existing, { ...body, metadata: { ...body.metadata, name, namespace } } as never)
    reply(existing ? 200 : 201, view(services.get(key) as StoredService))
  }

  // Only a spec change makes a new generation, and with it a new revision to roll out;
  // an identical apply changes nothing, as on a real cluster.
  const apply = (
    existing: StoredService | undefined,
    manifest: {
      metadata: Record<string, unknown> & { name: string; namespace: string }
      spec: unknown
    },
    at = now(),
  ) => {
    const { name, namespace } = manifest.metadata
    const changed = !existing || stringify(existing.spec) !== stringify(manifest.spec)
    const stored: StoredService = existing
      ? { ...existing, metadata: { ...existing.metadata, ...manifest.metadata } }
      : {
          namespace,
          name,
          generation: 0,
          metadata: {
            ...manifest.metadata,
            uid: `uid-${name}`,
            creationTimestamp: new Date(0).toISOString(),
          },
          spec: manifest.spec,
          baseStatus: {},
          appliedAt: at,
        }
    if (changed) {
      stored.baseStatus = existing ? statusAt(existing, at - existing.appliedAt, script) : {}
      stored.generation += 1
      stored.spec = manifest.spec
      stored.appliedAt = at
    }
    services.set(`${namespace}/${name}`, stored)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({ kind: 'Status', status: 'Failure', message: error.message, code: 500 }),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const kubeconfig = {
    clusters: [{ name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'developer', user: { token: 'fake-token' } }],
    contexts: [
      { name: 'fake', context: { cluster: 'fake', user: 'developer' } },
      { name: 'other', context: { cluster: 'fake', user: 'developer' } },
    ],
    'current-context': 'fake',
  }
  const kubeconfigYaml = () => stringify({ apiVersion: 'v1', kind: 'Config', ...kubeconfig })

  return {
    url,
    requests,
    applies: () => requests.filter((r) => r.method === 'PATCH'),
    service: (namespace, name) => {
      const stored = services.get(`${namespace}/${name}`)
      return stored && view(stored)
    },
    seed: (manifest, at) =>
      apply(
        services.get(`${manifest.metadata.namespace}/${manifest.metadata.name}`),
        manifest as never,
        at,
      ),
    failNextReads: (count, status = 503) => {
      failReads = { count, status }
    },
    kubeConfig: () => {
      const kc = new KubeConfig()
      kc.loadFromString(kubeconfigYaml())
      return kc
    },
    kubeconfigYaml,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The status after `elapsedMs` of the script, on top of the one the apply found. */
function statusAt(
  stored: StoredService,
  elapsedMs: number,
  script: readonly StatusStep[],
): Record<string, unknown> {
  const revision = `${stored.name}-${String(stored.generation).padStart(5, '0')}`
  const spec = stored.spec as { template?: { spec?: { containers?: { image?: string }[] } } }
  const image = spec?.template?.spec?.containers?.[0]?.image ?? ''
  const fill = (text: string) =>
    text
      .replaceAll('{name}', stored.name)
      .replaceAll('{revision}', revision)
      .replaceAll('{image}', image)
  const status: Record<string, unknown> = structuredClone(stored.baseStatus)
  let conditions = [...((status.conditions as FakeCondition[] | undefined) ?? [])]
  for (const step of script) {
    if (step.at > elapsedMs) break
    status.observedGeneration = stored.generation
    if (step.revision) status.latestCreatedRevisionName = revision
    if (step.readyRevision) status.latestReadyRevisionName = revision
    if (step.url) status.url = `http://${stored.name}.${stored.namespace}.svc.cluster.local`
    for (const condition of step.conditions ?? []) {
      const next = {
        ...condition,
        ...(condition.message ? { message: fill(condition.message) } : {}),
      }
      conditions = [...conditions.filter((c) => c.type !== condition.type), next]
    }
  }
  // Knative lists conditions sorted by type.
  if (conditions.length > 0)
    status.conditions = conditions.sort((a, b) => a.type.localeCompare(b.type))
  return status
}

function discovery() {
  const resource = (name: string, kind: string, shortNames: string[]) => ({
    name,
    singularName: name.replace(/s$/, ''),
    namespaced: true,
    kind,
    verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
    shortNames,
    categories: ['all', 'knative', 'serving'],
  })
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: GROUP_VERSION,
    resources: [
      resource('configurations', 'Configuration', ['config', 'cfg']),
      resource('revisions', 'Revision', ['rev']),
      resource('routes', 'Route', ['rt']),
      resource('services', 'Service', ['kservice', 'ksvc']),
      {
        name: 'services/status',
        singularName: '',
        namespaced: true,
        kind: 'Service',
        verbs: ['get', 'patch', 'update'],
      },
    ],
  }
}

async function readText(req: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of req) text += chunk
  return text
}

/** A clock that moves only when the deploy sleeps, shared with the fake through `now`. */
export function virtualClock(): Clock {
  let t = 0
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms
      // Let the I/O of the sleep's caller run, as a real sleep would.
      await new Promise((resolve) => setImmediate(resolve))
    },
  }
}
