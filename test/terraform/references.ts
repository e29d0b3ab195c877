import { existsSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { type Ast, expressionAst, type TfModule, walk } from './hcl.ts'
import { scanTemplate } from './templates.ts'

/**
 * What `terraform validate` would refuse about names, checked without Terraform:
 *
 * - `var.X` needs `variable "X"`, `local.X` a local, `data.T.N` a data block,
 *   `T.N` a resource block, `module.M.O` a module block M whose source declares
 *   `output "O"`; any other first name is refused, except Terraform's own (path,
 *   terraform, each, count, self), `for` variables and `dynamic` iterators;
 * - a module block passes every variable of its source that has no default, and
 *   nothing its source does not declare; its source directory exists;
 * - templatefile() and file() name a file that exists (as `${path.module}/…`), and
 *   templatefile()'s object passes exactly the names the template interpolates;
 * - every resource and data type's provider is in required_providers, with a
 *   version constraint;
 * - every declared variable is used.
 *
 * Attribute names of resources are not checked: that needs the providers' schemas,
 * which `terraform validate` in the GitHub workflow has.
 */

export type LoadModule = (dir: string) => Promise<TfModule>

const BUILTINS = new Set(['path', 'terraform', 'each', 'count', 'self'])

/** `${path.module}/x/y` from the tree of templatefile's or file's first argument. */
function moduleRelativePath(arg: Ast | undefined): string | null {
  if (arg?.type !== 'template') return null
  const [first, ...rest] = arg.children
  if (first?.type !== 'scopeTraversal' || first.meta.value !== 'path.module') return null
  if (!rest.every((part) => part.type === 'literalValue')) return null
  const tail = rest.map((part) => (part.type === 'literalValue' ? part.meta.value : '')).join('')
  return tail.startsWith('/') ? tail.slice(1) : null
}

function objectKeys(arg: Ast | undefined): string[] | null {
  if (arg?.type !== 'object') return null
  return Object.keys(arg.meta.items ?? {}).map((key) => key.replace(/^"(.*)"$/, '$1'))
}

export async function checkModule(mod: TfModule, load: LoadModule): Promise<string[]> {
  const problems: string[] = []
  const used = new Set<string>()
  const children = new Map<string, TfModule | null>()

  for (const [name, call] of mod.modules) {
    const dir = resolve(mod.dir, call.source)
    if (!call.source.startsWith('./') && !call.source.startsWith('../')) {
      problems.push(`module "${name}": source ${call.source} is not a local path`)
      children.set(name, null)
    } else if (!existsSync(dir)) {
      problems.push(`module "${name}": source ${call.source} does not exist`)
      children.set(name, null)
    } else {
      children.set(name, await load(dir))
    }
  }

  for (const [name, call] of mod.modules) {
    const child = children.get(name)
    if (!child) continue
    for (const [variable, { hasDefault }] of child.variables) {
      if (!hasDefault && !call.args.includes(variable)) {
        problems.push(
          `module "${name}" does not pass required variable "${variable}" of ${call.source}`,
        )
      }
    }
    for (const arg of call.args) {
      if (!child.variables.has(arg)) {
        problems.push(`module "${name}" passes "${arg}", which ${call.source} does not declare`)
      }
    }
  }

  for (const { where, source } of mod.expressions) {
    const { traversals, calls } = walk(await expressionAst(where, source), mod.iterators)
    for (const { names, text } of traversals) {
      const [root = '', second, third] = names
      if (BUILTINS.has(root)) continue
      if (root === 'var') {
        used.add(second ?? '')
        if (!mod.variables.has(second ?? '')) {
          problems.push(`${where}: ${text}: no variable "${second}" is declared`)
        }
      } else if (root === 'local') {
        if (!mod.locals.has(second ?? '')) {
          problems.push(`${where}: ${text}: no local "${second}" is declared`)
        }
      } else if (root === 'module') {
        const call = mod.modules.get(second ?? '')
        const child = children.get(second ?? '')
        if (!call) problems.push(`${where}: ${text}: no module "${second}" is declared`)
        else if (child && third !== undefined && !child.outputs.has(third)) {
          problems.push(
            `${where}: ${text}: module "${second}" (${call.source}) declares no output "${third}"`,
          )
        }
      } else if (root === 'data') {
        if (!mod.data.has(`${second}.${third}`)) {
          problems.push(`${where}: ${text}: no data "${second}" "${third}" is declared`)
        }
      } else if (second !== undefined && mod.resources.has(`${root}.${second}`)) {
        // A resource of this module.
      } else if (root.includes('_') && second !== undefined) {
        problems.push(`${where}: ${text}: no resource "${root}" "${second}" is declared`)
      } else {
        problems.push(`${where}: ${text}: unknown name "${root}"`)
      }
    }

    for (const call of calls) {
      if (call.name !== 'templatefile' && call.name !== 'file') continue
      const path = moduleRelativePath(call.args[0])
      if (path === null) {
        problems.push(`${where}: ${call.name}() must name its file as "\${path.module}/…"`)
        continue
      }
      const file = join(mod.dir, path)
      if (!existsSync(file)) {
        problems.push(`${where}: ${call.name}(): ${path} does not exist`)
        continue
      }
      if (call.name === 'file') continue
      const passed = objectKeys(call.args[1])
      if (passed === null) {
        problems.push(`${where}: templatefile(${path}) must pass its values as an object literal`)
        continue
      }
      const { names, unsupported } = scanTemplate(readFileSync(file, 'utf8'))
      for (const why of unsupported) problems.push(`${path}: ${why}`)
      for (const name of names) {
        if (!passed.includes(name)) {
          problems.push(`${path} uses \${${name}}, which templatefile() in ${where} does not pass`)
        }
      }
      for (const name of passed) {
        if (!names.includes(name)) {
          problems.push(`${where}: templatefile() passes "${name}", which ${path} never uses`)
        }
      }
    }
  }

  for (const kind of ['resource', 'data'] as const) {
    for (const address of kind === 'resource' ? mod.resources : mod.data) {
      const provider = address.split('_')[0] ?? ''
      if (!mod.providers.has(provider)) {
        problems.push(`${kind} ${address}: provider "${provider}" is not in required_providers`)
      }
    }
  }
  for (const [name, { source, version }] of mod.providers) {
    if (!source) problems.push(`required_providers.${name} has no source`)
    if (!version) problems.push(`required_providers.${name} has no version constraint`)
  }

  for (const name of mod.variables.keys()) {
    if (!used.has(name)) problems.push(`variable "${name}" is declared but never used`)
  }
  return problems
}

/** Every problem of every directory, each prefixed with the directory relative to `root`. */
export async function checkTree(
  root: string,
  dirs: readonly string[],
  load: LoadModule,
): Promise<string[]> {
  const all: string[] = []
  for (const dir of dirs) {
    const problems = await checkModule(await load(dir), load)
    all.push(...problems.map((problem) => `${relative(root, dir) || '.'}: ${problem}`))
  }
  return all
}
