import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadModule, parseHcl, type TfModule } from './hcl.ts'

/** The repository's Terraform: where it is, which directories and files it has. */

export const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const TERRAFORM = join(REPO, 'infra', 'terraform')

export const ENVIRONMENTS = ['aks', 'eks', 'gke', 'onprem'] as const
/** The directories one runs terraform in. */
export const ROOTS = [...ENVIRONMENTS.map((env) => `environments/${env}`), 'bootstrap']

export const MODULES = {
  network: ['aks', 'eks', 'gke', 'oci'],
  cluster: ['aks', 'eks', 'gke', 'kubeadm-oci'],
  dns: ['azure', 'route53', 'cloud-dns', 'oci'],
} as const

function walkFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walkFiles(path) : [path]
  })
}

/** Every file under infra/terraform, relative to it. */
export const allFiles = (): string[] =>
  walkFiles(TERRAFORM)
    .map((path) => relative(TERRAFORM, path))
    .sort()

/** Every directory holding `.tf` files (roots and modules), relative to infra/terraform. */
export const moduleDirs = (): string[] => [
  ...new Set(
    allFiles()
      .filter((file) => file.endsWith('.tf'))
      .map((file) => relative(TERRAFORM, join(TERRAFORM, file, '..'))),
  ),
]

export const read = (file: string) => readFileSync(join(TERRAFORM, file), 'utf8')

/** HCL that is not a `.tf` file: the tfvars and backend config examples. */
export async function parseExample(file: string): Promise<Record<string, unknown>> {
  return parseHcl(file, read(file))
}

const cache = new Map<string, Promise<TfModule>>()
/** loadModule, once per directory (the wasm parser is not free). */
export function loadCached(dir: string): Promise<TfModule> {
  let mod = cache.get(dir)
  if (!mod) {
    mod = loadModule(dir)
    cache.set(dir, mod)
  }
  return mod
}

export const load = (dir: string) => loadCached(join(TERRAFORM, dir))
