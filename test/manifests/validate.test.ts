import { describe, expect, it } from 'vitest'
import { FALSE_ERRORS, falseErrorFor } from './false-errors.ts'
import { DIGEST, KINDS, kindDoc, knativeService } from './fixtures/kinds.ts'
import { MODELS, modelFor } from './models.ts'
import { formatPath, type Manifest } from './problems.ts'
import { checkSchema, type SchemaError } from './schema-check.ts'
import { UNCOVERED } from './uncovered.ts'
import { type Problem, validateManifests } from './validate.ts'

/**
 * The validator itself: each kind the deployment uses passes when valid and fails, at the
 * right path, when broken; Knative's own rules; the named false-error exceptions; digests.
 */

type Segments = (string | number)[]

function clone(doc: Manifest): Manifest {
  return structuredClone(doc)
}

/** Set (or, with `undefined`, delete) the value at `path`, creating nothing on the way. */
function edit(doc: Manifest, path: Segments, value: unknown): Manifest {
  const copy = clone(doc)
  let parent: Record<string | number, unknown> = copy
  for (const segment of path.slice(0, -1)) {
    parent = parent[segment] as Record<string | number, unknown>
    if (typeof parent !== 'object' || parent === null) throw new Error(`no ${formatPath(path)}`)
  }
  const last = path.at(-1) as string | number
  if (value === undefined) delete parent[last]
  else parent[last] = value
  return copy
}

const show = (problems: Problem[]) => JSON.stringify(problems, null, 2)
const paths = (problems: Problem[]) => problems.map((problem) => problem.path)

describe('every kind the deployment uses', () => {
  const cases = KINDS.map((kind) => [kind.name, kind] as const)

  it('covers each kind the deployment renders', () => {
    const covered = new Set(KINDS.map(({ doc }) => `${doc.apiVersion}/${doc.kind}`))
    for (const key of [
      'serving.knative.dev/v1/Service',
      'batch/v1/Job',
      'v1/ConfigMap',
      'v1/Namespace',
      'networking.k8s.io/v1/NetworkPolicy',
      'policy/v1/PodDisruptionBudget',
      'v1/ServiceAccount',
      'rbac.authorization.k8s.io/v1/ClusterRole',
      'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
      'gateway.networking.k8s.io/v1/HTTPRoute',
      'gateway.networking.k8s.io/v1beta1/ReferenceGrant',
      'gateway.networking.k8s.io/v1/Gateway',
      'gateway.networking.k8s.io/v1/GatewayClass',
      'gateway.envoyproxy.io/v1alpha1/EnvoyProxy',
      'external-secrets.io/v1/ExternalSecret',
      'external-secrets.io/v1/ClusterSecretStore',
      'cert-manager.io/v1/Certificate',
      'cert-manager.io/v1/ClusterIssuer',
      'postgresql.cnpg.io/v1/Cluster',
      'postgresql.cnpg.io/v1/Pooler',
      'postgresql.cnpg.io/v1/ScheduledBackup',
      'argoproj.io/v1alpha1/Application',
      'argoproj.io/v1alpha1/AppProject',
      'argoproj.io/v1alpha1/ApplicationSet',
      'operator.knative.dev/v1beta1/KnativeServing',
      'monitoring.coreos.com/v1/PodMonitor',
      'monitoring.coreos.com/v1/PrometheusRule',
      ...Object.keys(UNCOVERED),
    ]) {
      expect(covered, key).toContain(key)
    }
  })

  it.each(cases)('a minimal valid %s passes', (_name, { doc }) => {
    const problems = validateManifests([doc], { requireDigests: true })
    expect(problems, show(problems)).toEqual([])
  })

  it.each(cases)('%s: a wrong type fails at its path', (_name, { doc, wrongType }) => {
    const problems = validateManifests([edit(doc, wrongType.path, wrongType.value)])
    expect(paths(problems), show(problems)).toContain(formatPath(wrongType.path))
  })

  it.each(cases.filter(([, kind]) => kind.missing))(
    '%s: a missing required field fails at its path',
    (_name, { doc, missing }) => {
      const path = missing as Segments
      const problems = validateManifests([edit(doc, path, undefined)])
      const found = problems.find((problem) => problem.path === formatPath(path))
      expect(found?.message, show(problems)).toBe('is required')
    },
  )

  it.each(cases)(
    '%s: an unknown key fails, caught by the closed-object check alone',
    (_name, { doc, unknownIn }) => {
      const path = [...unknownIn, 'notAField']
      const broken = edit(doc, path, 'x')
      const problems = validateManifests([broken])
      expect(
        problems.map(({ path, message }) => ({ path, message })),
        show(problems),
      ).toEqual([{ path: formatPath(path), message: expect.stringMatching(/^unknown field/) }])
      const model = modelFor(String(doc.apiVersion), String(doc.kind))
      if (model) {
        // The package model on its own accepts the unknown key: the closed check is what fails.
        const subject = { ...broken, apiVersion: model.apiVersion }
        expect(checkSchema(model, subject).errors).toEqual([])
      }
    },
  )
})

describe('lookup and robustness', () => {
  it('builds one table from the packages: core, Knative, Gateway API, Argo CD, CNPG…', () => {
    for (const key of [
      'v1/ConfigMap',
      'apps/v1/Deployment',
      'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy',
      'serving.knative.dev/v1/Service',
      'gateway.networking.k8s.io/v1/HTTPRoute',
      'argoproj.io/v1alpha1/ApplicationSet',
      'postgresql.cnpg.io/v1/Pooler',
      'kyverno.io/v1/ClusterPolicy',
      'monitoring.coreos.com/v1/ServiceMonitor',
      'cert-manager.io/v1/ClusterIssuer',
    ]) {
      expect(MODELS.has(key), key).toBe(true)
    }
  })

  it('reports a kind with no model, naming it', () => {
    const problems = validateManifests([
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'n' } },
    ])
    expect(problems).toEqual([
      { where: 'Widget/n/w', path: '(root)', message: 'no model for example.com/v1/Widget' },
    ])
  })

  it('keeps the hand-written list to kinds the packages really lack', () => {
    for (const key of Object.keys(UNCOVERED)) expect(MODELS.has(key), key).toBe(false)
  })

  it('never throws: documents that are not objects, or lack apiVersion/kind, are problems', () => {
    const problems = validateManifests([null, 'text', [1], { kind: 'ConfigMap' }])
    expect(problems.map((problem) => problem.message)).toEqual([
      'a document must be an object',
      'a document must be an object',
      'a document must be an object',
      'apiVersion and kind must be strings',
    ])
  })

  it('names where and the path readably', () => {
    const doc = edit(KINDS[0]?.doc as Manifest, ['metadata', 'annotations', 'a.b/c'], 1)
    const [problem] = validateManifests([doc])
    expect(problem).toEqual({
      where: 'Service/tenantry/auth',
      path: 'metadata.annotations["a.b/c"]',
      message: 'must be string',
    })
  })

  it('leaves free-form fields open (labels, Helm values, preserved unknown fields)', () => {
    const app = kindDoc('Argo CD Application')
    const withValues = edit(app, ['spec', 'source', 'helm', 'valuesObject', 'anything'], { a: 1 })
    expect(validateManifests([withValues])).toEqual([])
  })

  it('does not close status: controllers write it, not us', () => {
    const doc = { ...(KINDS[0]?.doc as Manifest), status: { anything: true } }
    expect(validateManifests([doc])).toEqual([])
  })
})

describe('Knative rules the schemas miss (serving.knative.dev/v1 Service)', () => {
  const container = ['spec', 'template', 'spec', 'containers', 0]
  const security = [...container, 'securityContext']
  const breakages: [string, Segments, unknown, string][] = [
    [
      'autoscaling annotation on the Service',
      ['metadata', 'annotations', 'autoscaling.knative.dev/max-scale'],
      '3',
      'metadata.annotations["autoscaling.knative.dev/max-scale"]',
    ],
    [
      'two container ports',
      [...container, 'ports', 1],
      { containerPort: 9090 },
      'spec.template.spec.containers',
    ],
    ['no container port', [...container, 'ports'], undefined, 'spec.template.spec.containers'],
    [
      'a port named http',
      [...container, 'ports', 0, 'name'],
      'http',
      'spec.template.spec.containers[0].ports[0].name',
    ],
    [
      'an init container',
      ['spec', 'template', 'spec', 'initContainers'],
      [{ name: 'init', image: `busybox@${DIGEST}` }],
      'spec.template.spec.initContainers',
    ],
    [
      'no readiness probe',
      [...container, 'readinessProbe'],
      undefined,
      'spec.template.spec.containers[0].readinessProbe',
    ],
    [
      'no liveness probe',
      [...container, 'livenessProbe'],
      undefined,
      'spec.template.spec.containers[0].livenessProbe',
    ],
    [
      'a PORT env var',
      [...container, 'env', 1],
      { name: 'PORT', value: '9000' },
      'spec.template.spec.containers[0].env[1].name',
    ],
    [
      'runAsNonRoot false',
      [...security, 'runAsNonRoot'],
      false,
      'spec.template.spec.containers[0].securityContext.runAsNonRoot',
    ],
    [
      'a writable root filesystem',
      [...security, 'readOnlyRootFilesystem'],
      undefined,
      'spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem',
    ],
    [
      'privilege escalation allowed',
      [...security, 'allowPrivilegeEscalation'],
      true,
      'spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation',
    ],
    [
      'capabilities not dropped',
      [...security, 'capabilities', 'drop'],
      ['NET_RAW'],
      'spec.template.spec.containers[0].securityContext.capabilities.drop',
    ],
    [
      'an unconfined seccomp profile',
      [...security, 'seccompProfile', 'type'],
      'Unconfined',
      'spec.template.spec.containers[0].securityContext.seccompProfile.type',
    ],
    [
      'no container securityContext',
      security,
      undefined,
      'spec.template.spec.containers[0].securityContext',
    ],
    [
      'a pod-level runAsUser',
      ['spec', 'template', 'spec', 'securityContext', 'runAsUser'],
      65532,
      'spec.template.spec.securityContext.runAsUser',
    ],
    [
      'service links left on',
      ['spec', 'template', 'spec', 'enableServiceLinks'],
      undefined,
      'spec.template.spec.enableServiceLinks',
    ],
  ]

  it.each(breakages)('%s fails, and only there', (_label, path, value, expected) => {
    const problems = validateManifests([edit(knativeService(), path, value)])
    expect(paths(problems), show(problems)).toEqual([expected])
  })

  it('accepts an unnamed port and h2c', () => {
    const unnamed = edit(knativeService(), [...container, 'ports', 0, 'name'], undefined)
    const h2c = edit(knativeService(), [...container, 'ports', 0, 'name'], 'h2c')
    expect(validateManifests([unnamed, h2c])).toEqual([])
  })

  it('applies only to Knative Services: a Job may have init containers and no probes', () => {
    const job = kindDoc('Job')
    const withInit = edit(
      job,
      ['spec', 'template', 'spec', 'initContainers'],
      [{ name: 'wait', image: `busybox@${DIGEST}` }],
    )
    expect(validateManifests([withInit])).toEqual([])
  })
})

describe('named false-error exceptions', () => {
  const error = (path: Segments, missingProperty: string): SchemaError => ({
    path: [...path, missingProperty],
    keyword: 'required',
    params: { missingProperty },
    message: 'is required',
  })
  const service = 'serving.knative.dev/v1/Service'
  const container = ['spec', 'template', 'spec', 'containers', 1]

  it('excuses exactly a Knative container without a name and a probe without a port', () => {
    const excused = [
      error(container, 'name'),
      error([...container, 'readinessProbe', 'httpGet'], 'port'),
      error([...container, 'livenessProbe', 'tcpSocket'], 'port'),
      error([...container, 'startupProbe', 'grpc'], 'port'),
    ]
    expect(excused.map((entry) => falseErrorFor(service, entry, {})?.name)).toEqual([
      'knative-container-name-optional',
      'knative-probe-port-optional',
      'knative-probe-port-optional',
      'knative-probe-port-optional',
    ])
  })

  it('excuses nothing else: other kinds, other fields, other paths', () => {
    const reported: [string, SchemaError][] = [
      ['batch/v1/Job', error(container, 'name')],
      [service, error(['spec', 'template', 'spec', 'initContainers', 0], 'name')],
      [service, error([...container, 'volumeMounts', 0], 'name')],
      [service, error([...container, 'env', 0], 'name')],
      [service, error([...container, 'ports', 0], 'containerPort')],
      [service, error([...container, 'readinessProbe', 'httpGet'], 'path')],
      [service, error([...container, 'lifecycle', 'preStop', 'httpGet'], 'port')],
      [service, { ...error(container, 'name'), keyword: 'type' }],
    ]
    for (const [kind, entry] of reported) {
      expect(falseErrorFor(kind, entry, {}), `${kind} ${formatPath(entry.path)}`).toBeUndefined()
    }
  })

  it('lets a Knative Service omit the container name and the probe port end to end', () => {
    const doc = knativeService()
    const problems = validateManifests([doc])
    expect(problems, show(problems)).toEqual([])
    const spec = (doc.spec as { template: { spec: { containers: Record<string, unknown>[] } } })
      .template.spec
    expect(spec.containers[0]?.name).toBeUndefined()
  })

  it('records what the installed Knative model does: it does not report them itself', () => {
    // @kubernetes-models/knative 2.4.4 describes Knative's own container and probe types,
    // which make both optional; the exception guards against a model built on core's.
    const model = modelFor('serving.knative.dev/v1', 'Service')
    expect(model && checkSchema(model, knativeService()).errors).toEqual([])
  })

  it('still requires a container name outside Knative', () => {
    const job = kindDoc('Job')
    const path = ['spec', 'template', 'spec', 'containers', 0, 'name']
    expect(paths(validateManifests([edit(job, path, undefined)]))).toEqual([formatPath(path)])
  })

  it('excuses a boolean isWALArchiver in a CNPG Cluster plugin, and nothing more', () => {
    const cluster = kindDoc('CloudNativePG Cluster')
    const plugin = ['spec', 'plugins', 0]
    expect(validateManifests([cluster])).toEqual([])
    const wrongType = edit(cluster, [...plugin, 'isWALArchiver'], 'yes')
    expect(paths(validateManifests([wrongType]))).toEqual(['spec.plugins[0].isWALArchiver'])
    const other = edit(cluster, [...plugin, 'isWalArchiver'], true)
    expect(paths(validateManifests([other]))).toEqual(['spec.plugins[0].isWalArchiver'])
  })

  it('excuses the Knative Operator gateway-api ingress switch, and nothing more', () => {
    const serving = kindDoc('Knative Operator KnativeServing')
    const ingress = ['spec', 'ingress', 'gateway-api']
    expect(validateManifests([serving])).toEqual([])
    const wrongType = edit(serving, [...ingress, 'enabled'], 'yes')
    expect(paths(validateManifests([wrongType]))).toEqual(['spec.ingress["gateway-api"]'])
    const typo = edit(serving, ['spec', 'ingress', 'gateway-apis'], { enabled: true })
    expect(paths(validateManifests([typo]))).toEqual(['spec.ingress["gateway-apis"]'])
  })

  it('excuses an Argo CD project description (a string), and nothing more', () => {
    const project = kindDoc('Argo CD AppProject')
    const withRole = edit(project, ['spec', 'roles'], [{ name: 'ci', description: 'CI' }])
    expect(validateManifests([project, withRole])).toEqual([])
    const wrongType = edit(project, ['spec', 'description'], 42)
    expect(paths(validateManifests([wrongType]))).toEqual(['spec.description'])
    const elsewhere = edit(project, ['spec', 'destinations', 0, 'description'], 'x')
    expect(paths(validateManifests([elsewhere]))).toEqual(['spec.destinations[0].description'])
  })

  it('gives every exception a name and a reason', () => {
    for (const entry of FALSE_ERRORS) {
      expect(entry.name).toMatch(/^[a-z0-9-]+$/)
      expect(entry.why.length).toBeGreaterThan(20)
    }
    expect(new Set(FALSE_ERRORS.map((entry) => entry.name)).size).toBe(FALSE_ERRORS.length)
  })
})

describe('requireDigests', () => {
  const image = ['spec', 'template', 'spec', 'containers', 0, 'image']
  const job = () => kindDoc('Job')

  it('fails a tagged image in a Knative Service and a Job, and only with the option', () => {
    const service = edit(knativeService(), image, 'ghcr.io/tenantry/auth:1.2.3')
    const tagged = edit(job(), image, 'ghcr.io/tenantry/migrate:latest')
    expect(validateManifests([service, tagged])).toEqual([])
    const problems = validateManifests([service, tagged], { requireDigests: true })
    expect(problems.map(({ where, path }) => `${where} ${path}`)).toEqual([
      'Service/tenantry/auth spec.template.spec.containers[0].image',
      'Job/tenantry/migrate spec.template.spec.containers[0].image',
    ])
  })

  it.each([
    ['a short digest', `ghcr.io/tenantry/auth@sha256:${'ab'.repeat(31)}`],
    ['an upper-case digest', `ghcr.io/tenantry/auth@sha256:${'AB'.repeat(32)}`],
    ['another algorithm', `ghcr.io/tenantry/auth@sha512:${'ab'.repeat(32)}`],
  ])('fails %s', (_label, ref) => {
    const problems = validateManifests([edit(knativeService(), image, ref)], {
      requireDigests: true,
    })
    expect(paths(problems)).toEqual([formatPath(image)])
  })

  it('accepts a tag and a digest together, and checks init containers too', () => {
    const both = edit(job(), image, `ghcr.io/tenantry/migrate:1.0@${DIGEST}`)
    const init = edit(
      both,
      ['spec', 'template', 'spec', 'initContainers'],
      [{ name: 'wait', image: 'busybox:1.37' }],
    )
    expect(validateManifests([both], { requireDigests: true })).toEqual([])
    expect(paths(validateManifests([init], { requireDigests: true }))).toEqual([
      'spec.template.spec.initContainers[0].image',
    ])
  })

  it('finds CronJob and Deployment pod templates; leaves kinds without one alone', () => {
    const pod = { containers: [{ name: 'c', image: 'nginx:1' }] }
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c', namespace: 'n' },
      spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: pod } } } },
    }
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'n' },
      spec: { selector: {}, template: { spec: pod } },
    }
    const app = kindDoc('Argo CD Application')
    const problems = validateManifests([cronJob, deployment, app], { requireDigests: true })
    expect(problems.map(({ where, path }) => `${where} ${path}`)).toEqual([
      'CronJob/n/c spec.jobTemplate.spec.template.spec.containers[0].image',
      'Deployment/n/d spec.template.spec.containers[0].image',
    ])
  })
})
