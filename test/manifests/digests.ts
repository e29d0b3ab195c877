import { at, type Finding, isObject, type Manifest } from './problems.ts'

/** Where each workload kind keeps its pod spec. Argo CD helm image parameters are out of scope. */
const POD_SPEC_AT: Readonly<Record<string, readonly string[]>> = {
  'v1/Pod': ['spec'],
  'v1/ReplicationController': ['spec', 'template', 'spec'],
  'apps/v1/Deployment': ['spec', 'template', 'spec'],
  'apps/v1/StatefulSet': ['spec', 'template', 'spec'],
  'apps/v1/DaemonSet': ['spec', 'template', 'spec'],
  'apps/v1/ReplicaSet': ['spec', 'template', 'spec'],
  'batch/v1/Job': ['spec', 'template', 'spec'],
  'batch/v1/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  'serving.knative.dev/v1/Service': ['spec', 'template', 'spec'],
  'serving.knative.dev/v1/Configuration': ['spec', 'template', 'spec'],
}

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const
const DIGEST = /@sha256:[0-9a-f]{64}$/

/** Every container image of a workload, pinned by digest (a tag can be moved; a digest cannot). */
export function digestRules(doc: Manifest): Finding[] {
  const podPath = POD_SPEC_AT[`${doc.apiVersion}/${doc.kind}`]
  if (!podPath) return []
  const pod = at(doc, podPath)
  if (!isObject(pod)) return []
  const findings: Finding[] = []
  for (const list of CONTAINER_LISTS) {
    const containers = Array.isArray(pod[list]) ? pod[list] : []
    containers.forEach((container, index) => {
      const image = isObject(container) ? container.image : undefined
      if (typeof image !== 'string' || !DIGEST.test(image)) {
        findings.push({
          path: [...podPath, list, index, 'image'],
          message: `must be pinned by digest (…@sha256:<64 hex>), not ${JSON.stringify(image)}`,
        })
      }
    })
  }
  return findings
}
