import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { getExpressionAst, parse, type TFExpressionSyntaxTree } from '@cdktf/hcl2json'

/**
 * One Terraform module directory as @cdktf/hcl2json reads it: each `.tf` file parsed
 * to JSON (blocks become keyed lists, expressions stay source text in `${…}`), and the
 * declarations the reference checks need, merged across the files.
 */

export type Ast = TFExpressionSyntaxTree.ExpressionType
type Json = unknown
type Body = Record<string, Json>

export interface Expression {
  /** File and attribute path, e.g. `main.tf: resource.aws_vpc.this.cidr_block`. */
  where: string
  /** As hcl2json gives it: a template, usually the whole of it one `${…}`. */
  source: string
}

export interface ModuleCall {
  file: string
  source: string
  /** The arguments it passes, meta-arguments (count, for_each…) left out. */
  args: string[]
}

export interface TfModule {
  dir: string
  files: Record<string, Body>
  variables: Map<string, { hasDefault: boolean }>
  outputs: Set<string>
  locals: Set<string>
  modules: Map<string, ModuleCall>
  /** `type.name` of every resource block. */
  resources: Set<string>
  /** `type.name` of every data block. */
  data: Set<string>
  /** Names of `dynamic` blocks: their iterator has the block's name. */
  iterators: Set<string>
  /** required_providers entries, by local name. */
  providers: Map<string, { source?: string; version?: string }>
  expressions: Expression[]
}

const MODULE_META_ARGS = new Set([
  'source',
  'version',
  'count',
  'for_each',
  'providers',
  'depends_on',
])

const isBody = (value: Json): value is Body =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The bodies of a block list as hcl2json writes `name { … }` (a list of bodies). */
const bodies = (value: Json): Body[] => (Array.isArray(value) ? value.filter(isBody) : [])

export function tfFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.tf'))
    .sort()
}

/** Parses one file; throws (with hcl2json's diagnostic) when it is not valid HCL. */
export async function parseHcl(name: string, text: string): Promise<Body> {
  return (await parse(name, text)) as Body
}

/**
 * Attribute paths whose values look like expressions but are not references: type
 * constraints (`string`, `object({…})`) and ignore_changes' attribute names.
 */
function isNotAReference(path: string[]): boolean {
  const last = path[path.length - 1]
  return (path[0] === 'variable' && last === 'type') || last === 'ignore_changes'
}

function collectExpressions(file: string, value: Json, path: string[], out: Expression[]) {
  if (typeof value === 'string') {
    if (value.includes('${') && !isNotAReference(path)) {
      out.push({ where: `${file}: ${path.join('.')}`, source: value })
    }
  } else if (Array.isArray(value)) {
    for (const item of value) collectExpressions(file, item, path, out)
  } else if (isBody(value)) {
    for (const [key, item] of Object.entries(value)) {
      collectExpressions(file, item, [...path, key], out)
    }
  }
}

function collectIterators(value: Json, out: Set<string>) {
  if (Array.isArray(value)) for (const item of value) collectIterators(item, out)
  else if (isBody(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'dynamic' && isBody(item)) for (const name of Object.keys(item)) out.add(name)
      collectIterators(item, out)
    }
  }
}

/** Reads every `.tf` file of `dir`. Files that do not parse make this throw. */
export async function loadModule(dir: string): Promise<TfModule> {
  const mod: TfModule = {
    dir,
    files: {},
    variables: new Map(),
    outputs: new Set(),
    locals: new Set(),
    modules: new Map(),
    resources: new Set(),
    data: new Set(),
    iterators: new Set(),
    providers: new Map(),
    expressions: [],
  }
  for (const file of tfFiles(dir)) {
    const body = await parseHcl(file, readFileSync(join(dir, file), 'utf8'))
    mod.files[file] = body
    for (const [name, blocks] of Object.entries(isBody(body.variable) ? body.variable : {})) {
      mod.variables.set(name, { hasDefault: bodies(blocks).some((b) => 'default' in b) })
    }
    for (const name of Object.keys(isBody(body.output) ? body.output : {})) mod.outputs.add(name)
    for (const block of bodies(body.locals))
      for (const name of Object.keys(block)) mod.locals.add(name)
    for (const [name, blocks] of Object.entries(isBody(body.module) ? body.module : {})) {
      const block = bodies(blocks)[0] ?? {}
      mod.modules.set(name, {
        file,
        source: typeof block.source === 'string' ? block.source : '',
        args: Object.keys(block).filter((arg) => !MODULE_META_ARGS.has(arg)),
      })
    }
    for (const [kind, set] of [
      ['resource', mod.resources],
      ['data', mod.data],
    ] as const) {
      for (const [type, named] of Object.entries(isBody(body[kind]) ? body[kind] : {})) {
        for (const name of Object.keys(isBody(named) ? named : {})) set.add(`${type}.${name}`)
      }
    }
    for (const terraform of bodies(body.terraform)) {
      for (const required of bodies(terraform.required_providers)) {
        for (const [name, spec] of Object.entries(required)) {
          const entry = isBody(spec) ? spec : {}
          mod.providers.set(name, {
            source: typeof entry.source === 'string' ? entry.source : undefined,
            version: typeof entry.version === 'string' ? entry.version : undefined,
          })
        }
      }
    }
    collectIterators(body, mod.iterators)
    collectExpressions(file, body, [], mod.expressions)
  }
  return mod
}

/**
 * The syntax tree of an expression as hcl2json gives it. Wrapped in a heredoc, so
 * that a whole template (literal text and `${…}` parts, quotes and newlines in them)
 * parses as written.
 */
export async function expressionAst(where: string, source: string): Promise<Ast | null> {
  return getExpressionAst(where, `<<__TENANTRY_EXPR__\n${source}\n__TENANTRY_EXPR__\n`)
}

export interface Traversal {
  /** The name segments up to the first index, e.g. ['module', 'dns', 'name_servers']. */
  names: string[]
  text: string
}

export interface FunctionCall {
  name: string
  args: Ast[]
}

/**
 * Every scope traversal (`var.x`, `module.m[0].o`, `aws_vpc.this.id`) and function
 * call in a tree. Names bound by a `for` expression are left out inside it, where
 * they are not references. Index segments are skipped, so `module.m[0].o` gives
 * module, m, o.
 */
export function walk(ast: Ast | null, bound: ReadonlySet<string> = new Set()) {
  const traversals: Traversal[] = []
  const calls: FunctionCall[] = []
  const visit = (node: Ast | undefined, scope: ReadonlySet<string>) => {
    if (!node) return
    if (node.type === 'scopeTraversal') {
      const names = node.meta.traversal
        .filter((part) => part.type === 'nameTraversal')
        .map((part) => part.segment)
      if (names.length > 0 && !scope.has(names[0] ?? '')) {
        traversals.push({ names, text: node.meta.value })
      }
      return
    }
    let inner = scope
    if (node.type === 'for') {
      inner = new Set([...scope, node.meta.keyVar, node.meta.valVar].filter(Boolean))
    }
    if (node.type === 'function') calls.push({ name: node.meta.name, args: node.children })
    for (const child of node.children ?? []) visit(child, inner)
  }
  visit(ast ?? undefined, bound)
  return { traversals, calls }
}
