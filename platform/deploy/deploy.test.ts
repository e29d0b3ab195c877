import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import { afterEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { FUNCTIONS, functionNamed } from '#platform/functions.ts'
import { knativeService } from '#platform/manifests/knative-service.ts'
import {
  FAILING_REVISION,
  type FakeKube,
  type FakeKubeOptions,
  fakeKube,
  NEVER_READY,
  NO_CONTROLLER,
  READY,
  type StatusStep,
  virtualClock,
} from '#test/harness/fake-kube.ts'
import { type DeployDeps, deploy } from './deploy.ts'
import type { DeployOptions } from './options.ts'

/**
 * deploy() against the fake API server, on a virtual clock shared by both: the fake's
 * status transitions and the deploy's polls and timeout run on the same time, so the
 * progress lines (elapsed seconds included) are exact and a 300 s timeout takes none.
 */

const auth = functionNamed('auth')
if (!auth) throw new Error('auth is not in FUNCTIONS')
const SERVICE_PATH = '/apis/serving.knative.dev/v1/namespaces/tenantry/services/auth'
const WAITING = 'RevisionMissing: Configuration "auth" is waiting for a Revision to become ready.'

const fakes: FakeKube[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()))
})

interface Run {
  code: number
  out: string[]
  err: string[]
  fake: FakeKube
}

async function run(
  options: Partial<DeployOptions> = {},
  fakeOptions: FakeKubeOptions = {},
  deps: Partial<DeployDeps> & { before?: (fake: FakeKube) => void } = {},
): Promise<Run> {
  const clock = virtualClock()
  const fake = await fakeKube({ now: clock.now, ...fakeOptions })
  fakes.push(fake)
  deps.before?.(fake)
  const out: string[] = []
  const err: string[] = []
  const code = await deploy(
    { function: 'auth', dryRun: false, timeoutSeconds: 300, ...options },
    {
      kubeConfig: () => fake.kubeConfig(),
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      clock,
      ...deps,
    },
  )
  return { code, out, err, fake }
}

/** Everything a run printed, for assertion messages. */
const shown = (r: Run) => [...r.out, ...r.err].join('\n')

describe('deploy: success', () => {
  it('applies, prints each change with its elapsed time, and the URL once Ready', async () => {
    const r = await run({ environment: 'dev' })
    expect(r.err, shown(r)).toEqual([])
    expect(r.code, shown(r)).toBe(0)
    expect(r.out).toEqual([
      `deploying auth to ${r.fake.url} (context fake)`,
      '  0.0s applied Service tenantry/auth (generation 1, image ghcr.io/tenantry/auth:main)',
      '  0.0s revision auth-00001 created',
      '  0.0s ConfigurationsReady=Unknown',
      `  0.0s Ready=Unknown ${WAITING}`,
      `  0.0s RoutesReady=Unknown ${WAITING}`,
      '  1.0s ConfigurationsReady=True',
      '  1.5s Ready=True',
      '  1.5s RoutesReady=True',
      '  1.5s Ready at http://auth.tenantry.svc.cluster.local (revision auth-00001)',
    ])
  })

  it('sends exactly the generated manifest as a forced server-side apply by tenantry-deploy', async () => {
    const r = await run({ environment: 'staging' })
    expect(r.code, shown(r)).toBe(0)
    expect(r.fake.requests.slice(0, 2).map((q) => `${q.method} ${q.path}`)).toEqual([
      'GET /apis/serving.knative.dev/v1',
      `PATCH ${SERVICE_PATH}`,
    ])
    // Then only reads of the Service: four polls, at 0, 0.5, 1.0 and 1.5 s.
    expect(r.fake.requests.slice(2).map((q) => `${q.method} ${q.path}`)).toEqual(
      Array(4).fill(`GET ${SERVICE_PATH}`),
    )
    const [apply, ...more] = r.fake.applies()
    expect(more).toEqual([])
    expect(apply?.contentType).toBe('application/apply-patch+yaml')
    expect(apply?.query).toEqual({ fieldManager: 'tenantry-deploy', force: 'true' })
    expect(apply?.authorization).toBe('Bearer fake-token')
    expect(apply?.body).toEqual(knativeService(auth, { environment: 'staging' }))
  })

  it('applies the base manifest without --env, and --image replaces the image', async () => {
    const image = `registry.example/tenantry/auth@sha256:${'a'.repeat(64)}`
    const r = await run({ image })
    expect(r.code, shown(r)).toBe(0)
    const body = r.fake.applies()[0]?.body
    expect(body).toEqual(knativeService(auth, { image }))
    expect(body).toMatchObject({ spec: { template: { spec: { containers: [{ image }] } } } })
    expect(r.out[1]).toBe(`  0.0s applied Service tenantry/auth (generation 1, image ${image})`)
  })

  it('deploys every function of FUNCTIONS under its own name', async () => {
    for (const fn of FUNCTIONS) {
      const r = await run({ function: fn.name, environment: 'prod' })
      expect(r.code, shown(r)).toBe(0)
      expect(r.fake.applies()[0]?.path).toBe(
        `/apis/serving.knative.dev/v1/namespaces/tenantry/services/${fn.name}`,
      )
      expect(r.fake.applies()[0]?.body).toEqual(knativeService(fn, { environment: 'prod' }))
      expect(r.out.at(-1)).toBe(
        `  1.5s Ready at http://${fn.name}.tenantry.svc.cluster.local (revision ${fn.name}-00001)`,
      )
    }
  })

  it("ignores the previous generation's Ready until Knative has seen the new one", async () => {
    // The controller takes 1 s to notice the apply; until then the status is the old
    // revision's, Ready=True included, which must not end the wait.
    const late: StatusStep[] = READY.map((step) => ({ ...step, at: step.at + 1000 }))
    const r = await run(
      { image: 'ghcr.io/tenantry/auth:new' },
      { script: late },
      {
        before: (fake) => fake.seed(knativeService(auth), -10_000),
      },
    )
    expect(r.code, shown(r)).toBe(0)
    expect(r.out).toEqual([
      `deploying auth to ${r.fake.url} (context fake)`,
      '  0.0s applied Service tenantry/auth (generation 2, image ghcr.io/tenantry/auth:new)',
      '  0.0s waiting for Knative to pick up generation 2',
      '  1.0s revision auth-00002 created',
      '  1.0s ConfigurationsReady=Unknown',
      `  1.0s Ready=Unknown ${WAITING}`,
      `  1.0s RoutesReady=Unknown ${WAITING}`,
      '  2.0s ConfigurationsReady=True',
      '  2.5s Ready=True',
      '  2.5s RoutesReady=True',
      '  2.5s Ready at http://auth.tenantry.svc.cluster.local (revision auth-00002)',
    ])
  })

  it('is done at once when the apply changes nothing and the Service is Ready', async () => {
    const r = await run({}, {}, { before: (fake) => fake.seed(knativeService(auth), -10_000) })
    expect(r.code, shown(r)).toBe(0)
    expect(r.out.slice(1)).toEqual([
      '  0.0s applied Service tenantry/auth (generation 1, image ghcr.io/tenantry/auth:main)',
      '  0.0s revision auth-00001 created',
      '  0.0s ConfigurationsReady=True',
      '  0.0s Ready=True',
      '  0.0s RoutesReady=True',
      '  0.0s Ready at http://auth.tenantry.svc.cluster.local (revision auth-00001)',
    ])
  })

  it('uses the --context asked for', async () => {
    const r = await run({ context: 'other' })
    expect(r.code, shown(r)).toBe(0)
    expect(r.out[0]).toBe(`deploying auth to ${r.fake.url} (context other)`)
  })

  it('retries reads that fail while waiting, and says so once', async () => {
    const r = await run({}, {}, { before: (fake) => fake.failNextReads(3) })
    expect(r.code, shown(r)).toBe(0)
    expect(r.out.slice(2, 4)).toEqual([
      '  0.0s reading tenantry/auth failed (HTTP 503); retrying',
      '  1.5s revision auth-00001 created',
    ])
    expect(r.out.at(-1)).toBe(
      '  1.5s Ready at http://auth.tenantry.svc.cluster.local (revision auth-00001)',
    )
  })

  it('waits out a False condition that clears again', async () => {
    // A container that exits once before its database is up: ConfigurationsReady=False
    // for a second, then the restarted container becomes ready.
    const flapping: StatusStep[] = [
      READY[0] as StatusStep,
      {
        at: 500,
        conditions: [
          { type: 'ConfigurationsReady', status: 'False', reason: 'ExitCode1', message: 'exit 1' },
        ],
      },
      { at: 1500, conditions: [{ type: 'ConfigurationsReady', status: 'Unknown' }] },
      ...READY.slice(1).map((step) => ({ ...step, at: step.at + 1500 })),
    ]
    const r = await run({}, { script: flapping })
    expect(r.err, shown(r)).toEqual([])
    expect(r.code).toBe(0)
    expect(r.out).toContain('  0.5s ConfigurationsReady=False ExitCode1: exit 1')
    expect(r.out.at(-1)).toBe(
      '  3.0s Ready at http://auth.tenantry.svc.cluster.local (revision auth-00001)',
    )
  })
})

describe('deploy: --dry-run', () => {
  it('prints the manifest as YAML and touches no cluster', async () => {
    const r = await run(
      { function: 'chat', environment: 'prod', image: 'ghcr.io/tenantry/chat:pr-7', dryRun: true },
      {},
      {
        kubeConfig: () => {
          throw new Error('a dry run must not read the kubeconfig')
        },
      },
    )
    expect(r.err).toEqual([])
    expect(r.code).toBe(0)
    expect(r.out).toHaveLength(1)
    const chat = functionNamed('chat')
    if (!chat) throw new Error('chat is not in FUNCTIONS')
    expect(parse(r.out[0] as string)).toEqual(
      knativeService(chat, { environment: 'prod', image: 'ghcr.io/tenantry/chat:pr-7' }),
    )
    expect(r.fake.requests).toEqual([])
  })
})

describe('deploy: errors, one line each with its exit status', () => {
  it('unknown function: lists the known ones, before any kubeconfig or request', async () => {
    const r = await run(
      { function: 'billing' },
      {},
      {
        kubeConfig: () => {
          throw new Error('must not be read')
        },
      },
    )
    expect(r.code).toBe(2)
    expect(r.err).toEqual([
      'deploy: unknown function "billing"; known: auth, orgs, projects, config, chat',
    ])
    expect(r.out).toEqual([])
    expect(r.fake.requests).toEqual([])
  })

  it('a context that is not in the kubeconfig', async () => {
    const r = await run({ context: 'prod-cluster' })
    expect(r.code).toBe(3)
    expect(r.err).toEqual([
      'deploy: context "prod-cluster" is not in the kubeconfig; known: fake, other',
    ])
    expect(r.fake.requests).toEqual([])
  })

  it('a kubeconfig without a current context', async () => {
    const r = await run(
      {},
      {},
      {
        kubeConfig: () => {
          const kc = new KubeConfig()
          kc.loadFromOptions({
            clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false }],
            users: [{ name: 'u' }],
            contexts: [{ name: 'only', cluster: 'c', user: 'u' }],
            currentContext: '',
          })
          return kc
        },
      },
    )
    expect(r.code).toBe(3)
    expect(r.err).toEqual([
      'deploy: the kubeconfig has no current context; pass --context (known: only)',
    ])
  })

  it('the server refuses connections: says which server', async () => {
    const port = await closedPort()
    const r = await run({}, {}, { kubeConfig: () => kubeConfigFor(`https://127.0.0.1:${port}`) })
    expect(r.code, shown(r)).toBe(4)
    expect(r.err).toEqual([
      `deploy: cannot reach https://127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
    ])
  })

  it('TLS fails (https to a plain-http port)', async () => {
    const r = await run(
      {},
      {},
      {
        kubeConfig: () => kubeConfigFor(fakes[0]?.url.replace('http:', 'https:') as string),
      },
    )
    expect(r.code, shown(r)).toBe(4)
    expect(r.err).toHaveLength(1)
    expect(r.err[0]).toMatch(
      /^deploy: cannot reach https:\/\/127\.0\.0\.1:\d+: TLS failed \(ERR_SSL_[A-Z_]+\): [a-z ]+$/,
    )
    expect(r.fake.requests).toEqual([])
  })

  it("the server's name does not resolve", async () => {
    const r = await run({}, {}, { kubeConfig: () => kubeConfigFor('https://api.tenantry.invalid') })
    expect(r.code, shown(r)).toBe(4)
    expect(r.err).toHaveLength(1)
    expect(r.err[0]).toMatch(
      /^deploy: cannot reach https:\/\/api\.tenantry\.invalid: the host name does not resolve \(DNS[^)]*\) \((ENOTFOUND|EAI_AGAIN)\)$/,
    )
  })

  it('Knative Serving is not installed', async () => {
    const r = await run({}, { knative: false })
    expect(r.code).toBe(5)
    expect(r.err).toEqual([
      `deploy: serving.knative.dev/v1 services is not served by ${r.fake.url}: install Knative Serving`,
    ])
    expect(r.fake.applies()).toEqual([])
  })

  it('RBAC refuses the apply (403)', async () => {
    const r = await run({}, { forbidApply: true })
    expect(r.code).toBe(6)
    expect(r.err).toEqual([
      `deploy: applying Service tenantry/auth on ${r.fake.url}: 403 services.serving.knative.dev "auth" is forbidden: User "developer" cannot patch resource "services" in API group "serving.knative.dev" in the namespace "tenantry"`,
    ])
  })

  it('the namespace does not exist', async () => {
    const r = await run({}, { namespaces: [] })
    expect(r.code).toBe(6)
    expect(r.err).toEqual([
      `deploy: applying Service tenantry/auth on ${r.fake.url}: 404 namespaces "tenantry" not found`,
    ])
  })

  it('the revision fails: its condition message, once False has held for 2 s', async () => {
    const image = 'ghcr.io/tenantry/auth:no-such-tag'
    const r = await run({ image }, { script: FAILING_REVISION })
    const failure = `RevisionFailed: Revision "auth-00001" failed with message: Unable to fetch image "${image}": failed to resolve image to digest: GET https://ghcr.io/v2/: MANIFEST_UNKNOWN: manifest unknown.`
    expect(r.code, shown(r)).toBe(7)
    expect(r.out.slice(-2)).toEqual([
      `  1.0s ConfigurationsReady=False ${failure}`,
      `  1.0s Ready=False ${failure}`,
    ])
    expect(r.err).toEqual([
      `deploy: tenantry/auth: revision auth-00001 failed: ConfigurationsReady=False ${failure}`,
    ])
    // Failed at 1.0 s, given up at 3.0 s: seven reads, 0.5 s apart.
    expect(
      r.fake.requests.filter((q) => q.method === 'GET' && q.path === SERVICE_PATH),
    ).toHaveLength(7)
  })

  it('times out at --timeout, saying what it was waiting for', async () => {
    const r = await run({ timeoutSeconds: 5 }, { script: NEVER_READY })
    expect(r.code).toBe(8)
    expect(r.err).toEqual([
      `deploy: tenantry/auth: timed out after 5 s waiting for revision auth-00001 to become Ready (Ready=Unknown ${WAITING})`,
    ])
    expect(r.out.at(-1)).toBe(`  0.0s RoutesReady=Unknown ${WAITING}`)
  })

  it('times out after 300 s by default when the controller never writes a status', async () => {
    const r = await run({}, { script: NO_CONTROLLER })
    expect(r.code).toBe(8)
    expect(r.err).toEqual([
      "deploy: tenantry/auth: timed out after 300 s waiting for the Knative controller to observe generation 1 (no status yet); is Knative Serving's controller running?",
    ])
    expect(r.out.slice(2)).toEqual(['  0.0s waiting for Knative to pick up generation 1'])
    // 0, 0.5, …, 300 s.
    expect(
      r.fake.requests.filter((q) => q.path === SERVICE_PATH && q.method === 'GET'),
    ).toHaveLength(601)
  })

  it('an unexpected failure is one line too, with exit 1', async () => {
    const r = await run(
      {},
      {},
      {
        kubeConfig: () => {
          throw new Error('exec plugin "aws" not found')
        },
      },
    )
    expect(r.code).toBe(1)
    expect(r.err).toEqual(['deploy: exec plugin "aws" not found'])
  })
})

function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  })
  return kc
}

/** A port nothing listens on: one the system just handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
