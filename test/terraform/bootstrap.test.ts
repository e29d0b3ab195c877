import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { renderKustomize } from '../manifests/render.ts'
import { validateManifests } from '../manifests/validate.ts'
import { renderTemplate, scanTemplate } from './templates.ts'
import { load, REPO, read } from './tree.ts'

/**
 * The bootstrap root: the providers it accepts are the overlays argocd/ has, the
 * argo-cd chart it pins ships the Argo CD the docs were checked against, and the root
 * Application it templates is a valid Application whose kustomize patches, applied as
 * Argo CD applies them, retarget the overlays at the chosen repository, revision and
 * environment.
 */

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML and HCL, checked field by field
type Doc = Record<string, any>

const TEMPLATE = 'bootstrap/templates/root-app.yaml.tftpl'
const FORK = 'https://github.com/example/tenantry-fork.git'
const REVISION = 'release-1.2'

/** A variable block of bootstrap/variables.tf, as hcl2json parses it. */
async function variableBlock(variable: string): Promise<Doc | undefined> {
  const file = (await load('bootstrap')).files['variables.tf'] as Doc | undefined
  return file?.variable?.[variable]?.[0]
}

/** The strings `contains([...], var.X)` of a variable's validation allows. */
async function allowedValues(variable: string): Promise<string[]> {
  const block = await variableBlock(variable)
  const condition: string = block?.validation?.[0]?.condition ?? ''
  const list = /contains\(\[([^\]]*)\]/.exec(condition)?.[1] ?? ''
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? '').sort()
}

async function defaultOf(variable: string): Promise<unknown> {
  return (await variableBlock(variable))?.default
}

function rootApp(providerName: string, environment: string): Doc {
  return parse(
    renderTemplate(read(TEMPLATE), {
      provider_name: providerName,
      environment,
      repo_url: FORK,
      revision: REVISION,
    }),
  )
}

const temp: string[] = []
afterAll(() => {
  for (const dir of temp) rmSync(dir, { recursive: true, force: true })
})

/**
 * What Argo CD does with `spec.source.kustomize.patches`: adds them to the
 * kustomization of the source path, then builds it. Done on a copy of argocd/ and
 * clusters/ (which include each other).
 */
async function buildWithPatches(path: string, patches: unknown[]): Promise<Doc[]> {
  const copy = mkdtempSync(join(tmpdir(), 'tenantry-argocd-'))
  temp.push(copy)
  for (const dir of ['argocd', 'clusters'])
    cpSync(join(REPO, dir), join(copy, dir), { recursive: true })
  const file = join(copy, path, 'kustomization.yaml')
  const kustomization = parse(readFileSync(file, 'utf8'))
  kustomization.patches = [...(kustomization.patches ?? []), ...patches]
  writeFileSync(file, stringify(kustomization))
  return (await renderKustomize(join(copy, path))) as Doc[]
}

const find = (docs: Doc[], kind: string, name?: string) =>
  docs.filter((doc) => doc.kind === kind && (name === undefined || doc.metadata?.name === name))

describe('bootstrap variables', () => {
  it('provider_name accepts exactly the providers argocd/overlays has', async () => {
    const overlays = readdirSync(join(REPO, 'argocd', 'overlays')).sort()
    expect(overlays.length).toBeGreaterThan(0)
    expect(await allowedValues('provider_name')).toEqual(overlays)
  })

  it('environment accepts exactly the environments of knative/overlays', async () => {
    const envs = readdirSync(join(REPO, 'knative', 'overlays')).sort()
    expect(await allowedValues('environment')).toEqual(envs)
  })

  it('pins the argo-cd chart that ships the Argo CD version of docs/deploy', async () => {
    // argo-cd chart releases and the Argo CD they ship (argo-helm's release notes:
    // argo-cd-10.3.3 "Update dependency argoproj/argo-cd to v3.5.1").
    const CHART_FOR_APP: Record<string, string> = { 'v3.5.1': '10.3.3' }
    const docs = readFileSync(join(REPO, 'docs', 'deploy', 'README.md'), 'utf8')
    const app = /argoproj\/argo-cd\/(v\d+\.\d+\.\d+)\/manifests\/install\.yaml/.exec(docs)?.[1]
    expect(app, 'the quickstart installs a pinned Argo CD').toBeDefined()
    expect(CHART_FOR_APP[app ?? ''], `no chart version known for Argo CD ${app}`).toBeDefined()
    expect(await defaultOf('argocd_chart_version')).toBe(CHART_FOR_APP[app ?? ''])
  })
})

describe('the root Application', () => {
  it('interpolates only what templatefile() passes', () => {
    expect(scanTemplate(read(TEMPLATE)).names.sort()).toEqual(
      ['environment', 'provider_name', 'repo_url', 'revision'].sort(),
    )
  })

  // Each provider once, the environments spread over them.
  const cases = [
    ['kind', 'dev'],
    ['aks', 'staging'],
    ['eks', 'prod'],
    ['gke', 'dev'],
    ['onprem', 'prod'],
  ] as const

  it.each(cases)('is a valid Application for %s (%s) pointing at its overlay', (p, env) => {
    const app = rootApp(p, env)
    expect(validateManifests([app])).toEqual([])
    expect(app.spec.source).toMatchObject({
      repoURL: FORK,
      targetRevision: REVISION,
      path: `argocd/overlays/${p}`,
    })
    expect(existsSync(join(REPO, app.spec.source.path, 'kustomization.yaml'))).toBe(true)
  })

  it('keeps a commit-like revision a string', () => {
    const app = parse(
      renderTemplate(read(TEMPLATE), {
        provider_name: 'kind',
        environment: 'dev',
        repo_url: FORK,
        revision: '1234567',
      }),
    )
    expect(app.spec.source.targetRevision).toBe('1234567')
  })

  it('uses only the fields the argocd-apps chart renders', () => {
    // charts/argocd-apps/templates/applications.yaml (argo-helm 2.0.5): what it
    // copies from an entry of .Values.applications; anything else would be dropped.
    const rendered = [
      'project',
      'source',
      'sources',
      'destination',
      'syncPolicy',
      'revisionHistoryLimit',
      'ignoreDifferences',
      'info',
      'sourceHydrator',
    ]
    const app = rootApp('kind', 'dev')
    expect(Object.keys(app.spec).filter((key) => !rendered.includes(key))).toEqual([])
    expect(Object.keys(app.metadata).sort()).toEqual(['labels', 'name', 'namespace'])
  })

  it.each(cases)(
    'retargets the %s overlays at the fork, revision and environment (%s)',
    { timeout: 120_000 },
    async (p, env) => {
      const app = rootApp(p, env)
      const argocd = await buildWithPatches(app.spec.source.path, app.spec.source.kustomize.patches)
      expect(validateManifests(argocd)).toEqual([])

      const [platform] = find(argocd, 'Application', 'tenantry-platform')
      expect(platform?.spec.source).toMatchObject({
        repoURL: FORK,
        targetRevision: REVISION,
        path: `clusters/overlays/${p}`,
      })
      const projects = find(argocd, 'AppProject')
      expect(projects.length).toBeGreaterThan(0)
      for (const project of projects) expect(project.spec.sourceRepos).toContain(FORK)

      // One level down: tenantry-platform's own patches on clusters/overlays/<p>.
      const clusters = await buildWithPatches(
        platform?.spec.source.path,
        platform?.spec.source.kustomize.patches,
      )
      const [functions] = find(clusters, 'ApplicationSet', 'tenantry-functions')
      expect(functions?.spec.generators[0].selector.matchLabels).toEqual({ env })
      expect(functions?.spec.template.spec.source).toMatchObject({
        repoURL: FORK,
        targetRevision: REVISION,
      })
    },
  )
})
