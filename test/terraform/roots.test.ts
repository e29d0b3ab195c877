import { existsSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { TfModule } from './hcl.ts'
import { load, loadCached, moduleDirs, parseExample, ROOTS, TERRAFORM } from './tree.ts'
import { satisfiesPessimistic } from './versions.ts'

/**
 * The roots (environments/* and bootstrap): remote state with locking, provider
 * versions pinned and compatible with their modules', and tfvars examples that set
 * what must be set.
 */

type Body = Record<string, unknown>
const asBody = (value: unknown): Body =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Body) : {}
const first = (value: unknown): Body => asBody(Array.isArray(value) ? value[0] : value)

/** The backend block of a root: its type and its arguments. */
function backendOf(mod: TfModule): { type: string; args: Body } | null {
  for (const body of Object.values(mod.files)) {
    const backend = asBody(first(body.terraform).backend)
    const [type] = Object.keys(backend)
    if (type) return { type, args: first(backend[type]) }
  }
  return null
}

/**
 * Per root: the backend type, what its block must set itself (locking where it is
 * opt-in), and the arguments the block and backend.hcl must set between them.
 */
const BACKENDS: Record<string, { type: string; inBlock: Body; required: string[] }> = {
  'environments/aks': {
    type: 'azurerm',
    inBlock: { use_azuread_auth: true },
    required: ['resource_group_name', 'storage_account_name', 'container_name', 'key'],
  },
  'environments/eks': {
    type: 's3',
    inBlock: { use_lockfile: true, encrypt: true },
    required: ['bucket', 'key', 'region'],
  },
  'environments/gke': { type: 'gcs', inBlock: {}, required: ['bucket', 'prefix'] },
  'environments/onprem': {
    type: 'oci',
    inBlock: {},
    required: ['bucket', 'namespace', 'key', 'region'],
  },
  bootstrap: { type: 'kubernetes', inBlock: {}, required: ['secret_suffix', 'namespace'] },
}

describe('remote state', () => {
  it.each(ROOTS)('%s has its backend, locking on, and nothing left unset', async (root) => {
    const expected = BACKENDS[root]
    const backend = backendOf(await load(root))
    expect(backend?.type).toBe(expected?.type)
    expect(backend?.args).toMatchObject(expected?.inBlock ?? {})
    const example = join(root, 'backend.hcl.example')
    const fromFile = existsSync(join(TERRAFORM, example)) ? await parseExample(example) : {}
    const blockKeys = Object.keys(backend?.args ?? {})
    // backend.hcl adds to the block; it does not silently override it.
    expect(Object.keys(fromFile).filter((key) => blockKeys.includes(key))).toEqual([])
    const set = [...blockKeys, ...Object.keys(fromFile)]
    expect((expected?.required ?? []).filter((arg) => !set.includes(arg))).toEqual([])
  })

  it('a root without a backend would be caught', () => {
    expect(
      backendOf({ files: { 'main.tf': { terraform: [{}] } } } as unknown as TfModule),
    ).toBeNull()
  })
})

/** Every module a root uses, directly or through other modules, as directories. */
async function moduleTree(dir: string): Promise<string[]> {
  const mod = await loadCached(dir)
  const children = [...mod.modules.values()].map((call) => resolve(dir, call.source))
  const below = await Promise.all(children.map(moduleTree))
  return [...children, ...below.flat()]
}

describe('provider versions', () => {
  it('the pessimistic-constraint check itself', () => {
    expect(satisfiesPessimistic('6.59.0', '~> 6.59')).toBe(true)
    expect(satisfiesPessimistic('6.60.1', '~> 6.59')).toBe(true)
    expect(satisfiesPessimistic('6.58.0', '~> 6.59')).toBe(false)
    expect(satisfiesPessimistic('7.0.0', '~> 6.59')).toBe(false)
    expect(satisfiesPessimistic('2.4.0', '~> 2.4.1')).toBe(false)
  })

  it.each(moduleDirs().filter((dir) => dir.startsWith('modules/')))(
    '%s allows compatible updates (~> major.minor) of each provider',
    async (dir) => {
      const mod = await load(dir)
      expect(mod.providers.size).toBeGreaterThan(0)
      for (const [name, { version }] of mod.providers) {
        expect(version, name).toMatch(/^~> \d+\.\d+$/)
      }
    },
  )

  it.each(ROOTS)(
    '%s pins an exact version of every provider it and its modules use',
    async (root) => {
      const dir = join(TERRAFORM, root)
      const pins = (await loadCached(dir)).providers
      for (const [name, { version }] of pins) expect(version, name).toMatch(/^\d+\.\d+\.\d+$/)
      for (const child of await moduleTree(dir)) {
        for (const [name, { source, version }] of (await loadCached(child)).providers) {
          const pin = pins.get(name)
          const where = `${relative(TERRAFORM, child)}: ${name}`
          expect(pin?.source, where).toBe(source)
          expect(satisfiesPessimistic(pin?.version ?? '', version ?? ''), where).toBe(true)
        }
      }
    },
  )

  it.each(moduleDirs())('%s requires Terraform 1.12 or later', async (dir) => {
    // 1.12: the native oci backend; 1.11: S3 lock files without DynamoDB.
    const mod = await load(dir)
    const versions = Object.values(mod.files).map((body) => first(body.terraform).required_version)
    expect(versions.filter(Boolean)).toEqual(['>= 1.12.0'])
  })
})

describe('terraform.tfvars.example', () => {
  it.each(ROOTS)('%s sets every required variable and only declared ones', async (root) => {
    const mod = await load(root)
    const example = await parseExample(join(root, 'terraform.tfvars.example'))
    const required = [...mod.variables].filter(([, v]) => !v.hasDefault).map(([name]) => name)
    expect(required.filter((name) => !(name in example))).toEqual([])
    expect(Object.keys(example).filter((name) => !mod.variables.has(name))).toEqual([])
  })
})
