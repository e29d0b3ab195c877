import type { Validatable } from './models.ts'
import { isObject, pointerSegments } from './problems.ts'

/** One error of a model's schema, as ajv reports it, with the path made of segments. */
export interface SchemaError {
  path: (string | number)[]
  keyword: string
  params: Record<string, unknown>
  message: string
}

export interface SchemaResult {
  errors: SchemaError[]
  /**
   * Keys that no schema along the way lists, in objects whose schema lists properties
   * (keyword `unknownField`, so the false-error exceptions can name them too).
   */
  unknownFields: SchemaError[]
}

interface Visit {
  path: (string | number)[]
  target: object
  /** Every key the compiled schema asked this object for, present or not. */
  asked: Set<string>
  /** The schema enumerated the keys (additionalProperties, patternProperties): open. */
  enumerated: boolean
}

/**
 * Validate `value` with a model's compiled schema, and find the unknown fields it lets through.
 *
 * The packages ship their schemas compiled by ajv, not as JSON, so the closed-object check
 * cannot read `properties` directly. Instead it watches the compiled code: for an object
 * schema that lists properties, ajv's code reads each listed property (`data.x !== undefined`)
 * whether or not it is present; for `additionalProperties` (labels, annotations, preserved
 * unknown fields with a schema) it enumerates the keys; for a schema with no properties
 * (free-form JSON, `x-kubernetes-preserve-unknown-fields` with nothing listed) it reads
 * nothing. So an object that was asked for keys, and never enumerated, is closed, and its
 * keys that were never asked for are unknown to the schema.
 */
export function checkSchema(
  model: Validatable,
  value: unknown,
  base: (string | number)[] = [],
): SchemaResult {
  const visits: Visit[] = []
  const watched = watch(value, base, visits)
  let raw: unknown[] = []
  try {
    model.prototype.validate.call(watched)
  } catch (error) {
    const list = (error as { errors?: unknown }).errors
    if (!Array.isArray(list)) throw error
    raw = list
  }
  return {
    errors: raw.map((entry) => toSchemaError(entry, base)),
    unknownFields: visits.flatMap(unknownKeys),
  }
}

function toSchemaError(entry: unknown, base: (string | number)[]): SchemaError {
  const error = isObject(entry) ? entry : {}
  const params = isObject(error.params) ? error.params : {}
  const path = [...base, ...pointerSegments(String(error.instancePath ?? ''))]
  const keyword = String(error.keyword ?? '')
  if (keyword === 'required' && typeof params.missingProperty === 'string') {
    return { path: [...path, params.missingProperty], keyword, params, message: 'is required' }
  }
  let message = String(error.message ?? keyword)
  if (keyword === 'enum' && Array.isArray(params.allowedValues)) {
    message += `: ${params.allowedValues.map((allowed) => JSON.stringify(allowed)).join(', ')}`
  }
  return { path, keyword, params, message }
}

function unknownKeys(visit: Visit): SchemaError[] {
  // `status` is written by controllers, never by us; a rendered manifest's stub is not checked.
  if (visit.path[0] === 'status' || visit.enumerated || visit.asked.size === 0) return []
  return Object.keys(visit.target)
    .filter((key) => !visit.asked.has(key))
    .map((key) => ({
      path: [...visit.path, key],
      keyword: 'unknownField',
      params: {},
      message: 'unknown field (the schema lists the allowed properties, and not this one)',
    }))
}

/** A proxy over `value` (deeply, lazily) that records how the schema code looks at it. */
function watch(value: unknown, path: (string | number)[], visits: Visit[]): unknown {
  if (typeof value !== 'object' || value === null) return value
  const visit: Visit = { path, target: value, asked: new Set(), enumerated: false }
  if (!Array.isArray(value)) visits.push(visit)
  const children = new Map<PropertyKey, unknown>()
  const child = (key: string) => {
    if (!children.has(key)) {
      const segment = Array.isArray(value) && /^\d+$/.test(key) ? Number(key) : key
      const own = (value as Record<string, unknown>)[key]
      children.set(key, watch(own, [...path, segment], visits))
    }
    return children.get(key)
  }
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key !== 'string') return Reflect.get(target, key, receiver)
      visit.asked.add(key)
      return Object.hasOwn(target, key) ? child(key) : Reflect.get(target, key, receiver)
    },
    has(target, key) {
      if (typeof key === 'string') visit.asked.add(key)
      return Reflect.has(target, key)
    },
    getOwnPropertyDescriptor(target, key) {
      if (typeof key === 'string') visit.asked.add(key)
      return Reflect.getOwnPropertyDescriptor(target, key)
    },
    ownKeys(target) {
      visit.enumerated = true
      return Reflect.ownKeys(target)
    },
  })
}
