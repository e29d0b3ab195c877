import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { renderKustomize } from './render.ts'
import { validateManifests } from './validate.ts'

/**
 * Every overlay the repository ships renders with `kubectl kustomize` and validates with
 * zero problems; prod images are pinned by digest. Overlays are discovered, so a new one is
 * covered without being listed, but each expected set must be there: a missing overlay fails.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PROVIDERS = ['kind', 'aks', 'eks', 'gke', 'onprem']

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']
const isKustomization = (dir: string) =>
  KUSTOMIZATION_FILES.some((file) => existsSync(join(ROOT, dir, file)))

/** The kustomizations directly under `<dir>/overlays`. */
function overlaysIn(dir: string): string[] {
  const parent = join(ROOT, dir, 'overlays')
  if (!existsSync(parent)) return []
  return readdirSync(parent, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${dir}/overlays/${entry.name}`)
    .filter(isKustomization)
    .sort()
}

const SETS = [
  {
    found: overlaysIn('knative'),
    expected: ['dev', 'staging', 'prod'].map((env) => `knative/overlays/${env}`),
  },
  {
    found: overlaysIn('clusters'),
    expected: PROVIDERS.map((provider) => `clusters/overlays/${provider}`),
  },
  {
    found: overlaysIn('argocd'),
    expected: PROVIDERS.map((provider) => `argocd/overlays/${provider}`),
  },
]
const OVERLAYS = SETS.flatMap((set) => set.found)

/** Prod is what Argo CD syncs for users: its images must not move under a tag. */
const DIGESTS_REQUIRED = new Set(['knative/overlays/prod'])

describe('deployment overlays', () => {
  it.each(SETS.map((set) => [set.expected.join(', '), set] as const))(
    'has every expected overlay: %s',
    (_label, { found, expected }) => {
      const missing = expected.filter((dir) => !found.includes(dir))
      expect(missing, `missing kustomizations (found: ${found.join(', ') || 'none'})`).toEqual([])
    },
  )

  it.each(OVERLAYS)('%s renders and validates with zero problems', async (dir) => {
    const docs = await renderKustomize(join(ROOT, dir))
    expect(docs.length, `${dir} rendered nothing`).toBeGreaterThan(0)
    const problems = validateManifests(docs, { requireDigests: DIGESTS_REQUIRED.has(dir) })
    const report = problems.map((p) => `${p.where} ${p.path}: ${p.message}`).join('\n')
    expect(problems, `${dir}:\n${report}`).toEqual([])
  })
})
