/** A rendered Kubernetes document, as parsed from YAML: nothing about it is trusted yet. */
export type Manifest = Record<string, unknown>

/** One thing wrong with one manifest. `path` is where in it, in `a.b[0]["x/y"]` form. */
export interface Problem {
  where: string
  path: string
  message: string
}

/** A problem before it is attributed to a manifest: its path as segments. */
export interface Finding {
  path: readonly (string | number)[]
  message: string
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `<kind>/<namespace>/<name>`; a cluster-scoped object has an empty namespace segment. */
export function whereOf(doc: unknown): string {
  if (!isObject(doc)) return '<not an object>'
  const meta = isObject(doc.metadata) ? doc.metadata : {}
  const text = (value: unknown) => (typeof value === 'string' ? value : '')
  return `${text(doc.kind) || '<no kind>'}/${text(meta.namespace)}/${text(meta.name) || '<no name>'}`
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** Segments as a readable path: `spec.containers[0].ports`, `annotations["a.b/c"]`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let out = ''
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (IDENTIFIER.test(segment)) out += out ? `.${segment}` : segment
    else out += `[${JSON.stringify(segment)}]`
  }
  return out || '(root)'
}

/** JSON Pointer (as ajv reports `instancePath`) to segments; array indexes become numbers. */
export function pointerSegments(pointer: string): (string | number)[] {
  if (!pointer) return []
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment))
}

/** Follow `segments` into `value`; undefined when any step is missing. */
export function at(value: unknown, segments: readonly (string | number)[]): unknown {
  let current = value
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return undefined
      current = current[segment]
    } else {
      if (!isObject(current)) return undefined
      current = current[segment]
    }
  }
  return current
}
