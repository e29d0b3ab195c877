import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { KubeConfig } from '@kubernetes/client-node'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_QUOTA, kubernetesProvisioner } from './provisioner/kubernetes.ts'

/**
 * The kubernetes provisioner against a fake API server: a node:http server on 127.0.0.1
 * that answers the REST calls the client makes and records them, holding namespaces in
 * memory so that AlreadyExists (409) and NotFound (404) behave like the real thing.
 */

interface Recorded {
  method: string
  path: string
  query: string
  body: unknown
  auth: string | undefined
}

let server: Server
let baseUrl: string
let requests: Recorded[] = []
let existing = new Set<string>()
let failNext: number | null = null

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = ''
  for await (const chunk of req) text += chunk
  return text ? JSON.parse(text) : undefined
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await readBody(req)
    const url = new URL(req.url ?? '/', 'http://x')
    const path = url.pathname
    requests.push({
      method: req.method ?? '',
      path,
      query: url.search,
      body,
      auth: req.headers.authorization,
    })
    const reply = (status: number, payload: object) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(payload))
    }
    const status = (code: number, reason: string) =>
      reply(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code })
    if (failNext !== null) {
      const code = failNext
      failNext = null
      return status(code, 'InternalError')
    }
    const key = `${req.method} ${path}`
    if (req.method === 'POST') {
      const name = (body as { metadata: { name: string } }).metadata.name
      const id = `${path}/${name}`
      if (existing.has(id)) return status(409, 'AlreadyExists')
      existing.add(id)
      return reply(201, body as object)
    }
    if (req.method === 'DELETE' && path.startsWith('/api/v1/namespaces/')) {
      const id = `/api/v1/namespaces/${path.split('/')[4]}`
      if (!existing.has(id)) return status(404, 'NotFound')
      // Like the real thing: what the namespace holds goes with it.
      const name = path.split('/')[4]
      for (const k of existing)
        if (k === id || k.includes(`/namespaces/${name}/`)) existing.delete(k)
      return reply(200, { kind: 'Status', apiVersion: 'v1', status: 'Success' })
    }
    status(404, `NotFound ${key}`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

beforeEach(() => {
  requests = []
  existing = new Set()
  failNext = null
})

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: baseUrl, skipTLSVerify: true }],
    users: [{ name: 'orgs', token: 'test-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'orgs' }],
    currentContext: 'fake',
  })
  return kc
}

describe('kubernetes provisioner', () => {
  it('creates the namespace, quota and default-deny policy, exactly', async () => {
    const orgId = randomUUID()
    const ns = `tenant-${orgId}`
    await kubernetesProvisioner(kubeConfig()).provision(orgId)
    const labels = { 'app.kubernetes.io/managed-by': 'tenantry-orgs', 'tenantry.io/org-id': orgId }
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v1/namespaces',
      `POST /api/v1/namespaces/${ns}/resourcequotas`,
      `POST /apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`,
    ])
    expect(requests.every((r) => r.auth === 'Bearer test-token')).toBe(true)
    expect(requests[0]?.body).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: {
          ...labels,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    })
    expect(requests[1]?.body).toEqual({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'tenant-quota', namespace: ns, labels },
      spec: { hard: { ...DEFAULT_QUOTA } },
    })
    expect(requests[2]?.body).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: ns, labels },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    })
  })

  it('provisions again without error when an earlier attempt got part-way (409s)', async () => {
    const orgId = randomUUID()
    const provisioner = kubernetesProvisioner(kubeConfig(), { namespacePrefix: 'org-' })
    await provisioner.provision(orgId)
    await provisioner.provision(orgId)
    expect(requests).toHaveLength(6)
    expect(requests[3]?.path).toBe('/api/v1/namespaces')
    expect(requests[3]?.body).toMatchObject({ metadata: { name: `org-${orgId}` } })
  })

  it('deprovisions by deleting the namespace, and a missing one is fine', async () => {
    const orgId = randomUUID()
    const provisioner = kubernetesProvisioner(kubeConfig())
    await provisioner.provision(orgId)
    await provisioner.deprovision(orgId)
    await provisioner.deprovision(orgId)
    expect(requests.slice(3).map((r) => `${r.method} ${r.path}`)).toEqual([
      `DELETE /api/v1/namespaces/tenant-${orgId}`,
      `DELETE /api/v1/namespaces/tenant-${orgId}`,
    ])
    expect(requests[3]?.query).toContain('propagationPolicy=Foreground')
    expect(existing.size).toBe(0)
  })

  it('fails on any other API error, so the saga compensates', async () => {
    const provisioner = kubernetesProvisioner(kubeConfig())
    failNext = 500
    await expect(provisioner.provision(randomUUID())).rejects.toMatchObject({ code: 500 })
    failNext = 403
    await expect(provisioner.deprovision(randomUUID())).rejects.toMatchObject({ code: 403 })
  })
})
