import { type Finding, isObject, type Manifest } from './problems.ts'

/**
 * Rules of Knative Serving's admission webhook (and of our deployment contract) that no
 * schema expresses, for serving.knative.dev/v1 Service. The webhook rejects most of these
 * at apply time; checking here catches them before a cluster does.
 */
export function knativeServiceRules(doc: Manifest): Finding[] {
  const findings: Finding[] = []
  const metadata = isObject(doc.metadata) ? doc.metadata : {}
  const annotations = isObject(metadata.annotations) ? metadata.annotations : {}
  for (const key of Object.keys(annotations)) {
    if (key.startsWith('autoscaling.knative.dev/')) {
      findings.push({
        path: ['metadata', 'annotations', key],
        message: 'autoscaling annotations belong on spec.template.metadata (the revision template)',
      })
    }
  }

  const spec = isObject(doc.spec) ? doc.spec : {}
  const template = isObject(spec.template) ? spec.template : {}
  const pod = isObject(template.spec) ? template.spec : undefined
  if (!pod) return [...findings, { path: ['spec', 'template', 'spec'], message: 'is required' }]
  const podPath = ['spec', 'template', 'spec']
  findings.push(...podRules(pod, podPath))

  const containers = Array.isArray(pod.containers) ? pod.containers : []
  const ports = containers.flatMap((container) =>
    isObject(container) && Array.isArray(container.ports) ? container.ports : [],
  )
  if (ports.length !== 1) {
    findings.push({
      path: [...podPath, 'containers'],
      message: `exactly one container port is allowed (Knative routes to one); found ${ports.length}`,
    })
  }
  containers.forEach((container, index) => {
    if (isObject(container))
      findings.push(...containerRules(container, [...podPath, 'containers', index]))
  })
  return findings
}

/** By default Knative accepts only seccompProfile in a pod securityContext (serving#13401). */
const POD_SECURITY_ALLOWED = new Set(['seccompProfile'])

function podRules(pod: Record<string, unknown>, path: (string | number)[]): Finding[] {
  const findings: Finding[] = []
  if (Array.isArray(pod.initContainers) && pod.initContainers.length > 0) {
    findings.push({
      path: [...path, 'initContainers'],
      message: 'init containers are off by default in Knative (kubernetes.podspec-init-containers)',
    })
  }
  if (pod.enableServiceLinks !== false) {
    findings.push({
      path: [...path, 'enableServiceLinks'],
      message: 'must be false: service links flood a namespace of Knative Services with env vars',
    })
  }
  if (isObject(pod.securityContext)) {
    for (const key of Object.keys(pod.securityContext)) {
      if (!POD_SECURITY_ALLOWED.has(key)) {
        findings.push({
          path: [...path, 'securityContext', key],
          message: 'Knative allows only seccompProfile in the pod securityContext by default',
        })
      }
    }
  }
  return findings
}

/** The restricted Pod Security Standard, set on each container (not left to defaults). */
const RESTRICTED: readonly [string, unknown][] = [
  ['runAsNonRoot', true],
  ['readOnlyRootFilesystem', true],
  ['allowPrivilegeEscalation', false],
]

function containerRules(container: Record<string, unknown>, path: (string | number)[]): Finding[] {
  const findings: Finding[] = []
  const ports = Array.isArray(container.ports) ? container.ports : []
  ports.forEach((port, index) => {
    const name = isObject(port) ? port.name : undefined
    if (name !== undefined && name !== 'http1' && name !== 'h2c') {
      findings.push({
        path: [...path, 'ports', index, 'name'],
        message: `Knative accepts a port named http1, h2c or unnamed, not ${JSON.stringify(name)}`,
      })
    }
  })
  for (const probe of ['readinessProbe', 'livenessProbe']) {
    if (!isObject(container[probe]))
      findings.push({ path: [...path, probe], message: 'is required' })
  }
  const env = Array.isArray(container.env) ? container.env : []
  env.forEach((entry, index) => {
    if (isObject(entry) && entry.name === 'PORT') {
      findings.push({
        path: [...path, 'env', index, 'name'],
        message: 'PORT is reserved: Knative sets it to the container port',
      })
    }
  })
  findings.push(...securityContextRules(container.securityContext, [...path, 'securityContext']))
  return findings
}

function securityContextRules(context: unknown, path: (string | number)[]): Finding[] {
  if (!isObject(context)) return [{ path, message: 'is required (restricted security context)' }]
  const findings: Finding[] = []
  for (const [field, expected] of RESTRICTED) {
    if (context[field] !== expected) {
      findings.push({ path: [...path, field], message: `must be ${expected}` })
    }
  }
  const drop = isObject(context.capabilities) ? context.capabilities.drop : undefined
  if (!Array.isArray(drop) || !drop.includes('ALL')) {
    findings.push({ path: [...path, 'capabilities', 'drop'], message: 'must drop ALL' })
  }
  const seccomp = isObject(context.seccompProfile) ? context.seccompProfile.type : undefined
  if (seccomp !== 'RuntimeDefault') {
    findings.push({ path: [...path, 'seccompProfile', 'type'], message: 'must be RuntimeDefault' })
  }
  return findings
}
