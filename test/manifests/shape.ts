import type { ModelClass, Validatable } from './models.ts'
import { type Finding, isObject } from './problems.ts'
import { checkSchema } from './schema-check.ts'

/**
 * A minimal structural description for kinds no package models (see uncovered.ts): the
 * fields we use, their types, which are required, and whether an object is closed.
 * Sub-trees whose type a package does model are handed to that model (and its closed check).
 */
export type Shape =
  | { type: 'string' | 'boolean' | 'integer' | 'any' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'array'; items: Shape }
  | { type: 'map'; values: Shape }
  | { type: 'object'; fields: Record<string, Shape>; required: readonly string[]; open: boolean }
  | { type: 'model'; model: Validatable }
  | { type: 'embedded'; model: ModelClass; at: readonly string[] }

export const str: Shape = { type: 'string' }
export const bool: Shape = { type: 'boolean' }
export const int: Shape = { type: 'integer' }
export const any: Shape = { type: 'any' }
export const oneOf = (...values: string[]): Shape => ({ type: 'enum', values })
export const list = (items: Shape): Shape => ({ type: 'array', items })
export const map = (values: Shape): Shape => ({ type: 'map', values })
/** A closed object: keys outside `fields` are problems. */
export const obj = (fields: Record<string, Shape>, required: readonly string[] = []): Shape => ({
  type: 'object',
  fields,
  required,
  open: false,
})
/** An object whose listed fields are checked and whose other keys are left alone. */
export const openObj = (
  fields: Record<string, Shape>,
  required: readonly string[] = [],
): Shape => ({
  type: 'object',
  fields,
  required,
  open: true,
})
/** A sub-tree whose type a package models: its schema and closed check apply. */
export const model = (modelClass: Validatable): Shape => ({ type: 'model', model: modelClass })
/**
 * A sub-tree whose type a package exposes only inside one kind: it is checked at `at` in a
 * document of that kind, and only the findings inside it count.
 */
export const embedded = (modelClass: ModelClass, at: readonly string[]): Shape => ({
  type: 'embedded',
  model: modelClass,
  at,
})

export function checkShape(shape: Shape, value: unknown, path: (string | number)[]): Finding[] {
  const wrong = (expected: string): Finding[] => [{ path, message: `must be ${expected}` }]
  switch (shape.type) {
    case 'any':
      return []
    case 'string':
      return typeof value === 'string' ? [] : wrong('a string')
    case 'boolean':
      return typeof value === 'boolean' ? [] : wrong('a boolean')
    case 'integer':
      return Number.isInteger(value) ? [] : wrong('an integer')
    case 'enum':
      return shape.values.includes(value as string)
        ? []
        : wrong(`one of ${shape.values.join(', ')}`)
    case 'array':
      if (!Array.isArray(value)) return wrong('an array')
      return value.flatMap((item, index) => checkShape(shape.items, item, [...path, index]))
    case 'map':
      if (!isObject(value)) return wrong('an object')
      return Object.entries(value).flatMap(([key, item]) =>
        checkShape(shape.values, item, [...path, key]),
      )
    case 'object':
      return checkObject(shape, value, path)
    case 'model':
      return checkModel(shape.model, value, path)
    case 'embedded':
      return checkEmbedded(shape.model, shape.at, value, path)
  }
}

function checkObject(
  shape: Extract<Shape, { type: 'object' }>,
  value: unknown,
  path: (string | number)[],
): Finding[] {
  if (!isObject(value)) return [{ path, message: 'must be an object' }]
  const findings: Finding[] = shape.required
    .filter((key) => value[key] === undefined)
    .map((key) => ({ path: [...path, key], message: 'is required' }))
  for (const [key, item] of Object.entries(value)) {
    const field = shape.fields[key]
    if (field) findings.push(...checkShape(field, item, [...path, key]))
    else if (!shape.open) findings.push({ path: [...path, key], message: 'unknown field' })
  }
  return findings
}

function checkModel(modelClass: Validatable, value: unknown, path: (string | number)[]): Finding[] {
  const { errors, unknownFields } = checkSchema(modelClass, value, path)
  return [...errors, ...unknownFields]
}

function checkEmbedded(
  modelClass: ModelClass,
  at: readonly string[],
  value: unknown,
  path: (string | number)[],
): Finding[] {
  let document: unknown = value
  for (const key of [...at].reverse()) document = { [key]: document }
  document = { ...(document as object), apiVersion: modelClass.apiVersion, kind: modelClass.kind }
  const inside = (segments: readonly (string | number)[]) =>
    at.every((key, index) => segments[index] === key)
  return checkModel(modelClass, document, [])
    .filter((finding) => inside(finding.path))
    .map((finding) => ({
      path: [...path, ...finding.path.slice(at.length)],
      message: finding.message,
    }))
}
