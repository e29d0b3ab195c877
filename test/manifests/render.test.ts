import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { renderKustomize } from './render.ts'
import { validateManifests } from './validate.ts'

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

describe('rendering with kubectl kustomize', () => {
  it('fails with an error that names the directory', async () => {
    const missing = fixture('no-such-overlay')
    await expect(renderKustomize(missing)).rejects.toThrow(`kubectl kustomize ${missing} failed`)
  })

  it('renders an overlay and the validator finds every problem in it', async () => {
    const docs = await renderKustomize(fixture('broken-overlay'))
    expect(docs).toHaveLength(1)
    const problems = validateManifests(docs, { requireDigests: true })
    expect(problems.map(({ where, path }) => `${where} ${path}`)).toEqual([
      'Service/tenantry/auth spec.template.spec.containers[0].securityContext.readOnlyRootFs',
      'Service/tenantry/auth metadata.annotations["autoscaling.knative.dev/min-scale"]',
      'Service/tenantry/auth spec.template.spec.containers[0].ports[0].name',
      'Service/tenantry/auth spec.template.spec.containers[0].image',
    ])
  })
})
