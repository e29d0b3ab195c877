import { at, isObject } from './problems.ts'
import type { SchemaError } from './schema-check.ts'

/**
 * Errors a model (or the closed check built on it) reports that the real API server would
 * not: each is named, says why, and matches one exact error shape (kind, keyword, path,
 * and for unknown fields the type of the value it excuses), nothing broader.
 */
export interface FalseError {
  name: string
  why: string
  kind: string
  /** `required` (a missing property) or `unknownField` (the closed check). */
  keyword: 'required' | 'unknownField'
  /** Path segments; `#` is any array index, a Set is any of its names. */
  paths: readonly (readonly (string | ReadonlySet<string>)[])[]
  /** For unknown fields: the value must still have the shape upstream gives it. */
  value?: (value: unknown) => boolean
}

const PROBE = new Set(['readinessProbe', 'livenessProbe', 'startupProbe'])
const HANDLER = new Set(['httpGet', 'tcpSocket', 'grpc'])
const CONTAINER = ['spec', 'template', 'spec', 'containers', '#'] as const
const isString = (value: unknown) => typeof value === 'string'

export const FALSE_ERRORS: readonly FalseError[] = [
  {
    name: 'knative-container-name-optional',
    why: 'Knative names a lone container itself (user-container); the core Container schema requires `name`',
    kind: 'serving.knative.dev/v1/Service',
    keyword: 'required',
    paths: [[...CONTAINER, 'name']],
  },
  {
    name: 'knative-probe-port-optional',
    why: 'Knative probes the serving port when a probe gives none; the core handlers require `port`',
    kind: 'serving.knative.dev/v1/Service',
    keyword: 'required',
    paths: [[...CONTAINER, PROBE, HANDLER, 'port']],
  },
  {
    name: 'cnpg-plugin-is-wal-archiver',
    why: 'CloudNativePG 1.25.1 added spec.plugins[].isWALArchiver (cloudnative-pg#6593; the barman-cloud plugin uses it); @kubernetes-models/cloudnative-pg 0.1.4 predates it',
    kind: 'postgresql.cnpg.io/v1/Cluster',
    keyword: 'unknownField',
    paths: [['spec', 'plugins', '#', 'isWALArchiver']],
    value: (value) => typeof value === 'boolean',
  },
  {
    name: 'knative-operator-gateway-api-ingress',
    why: 'the Knative Operator added spec.ingress["gateway-api"] for net-gateway-api in knative/operator#2251 (2026); @kubernetes-models/knative 2.4.4 predates it',
    kind: 'operator.knative.dev/v1beta1/KnativeServing',
    keyword: 'unknownField',
    paths: [['spec', 'ingress', 'gateway-api']],
    value: (value) =>
      isObject(value) &&
      Object.entries(value).every(([key, flag]) => key === 'enabled' && typeof flag === 'boolean'),
  },
  {
    name: 'argocd-project-description',
    why: 'the packages’ generator strips every schema key named `description` (doc text), and with it properties of that name: AppProject spec.description and spec.roles[].description',
    kind: 'argoproj.io/v1alpha1/AppProject',
    keyword: 'unknownField',
    paths: [
      ['spec', 'description'],
      ['spec', 'roles', '#', 'description'],
    ],
    value: isString,
  },
]

function pathMatches(
  path: readonly (string | number)[],
  pattern: readonly (string | ReadonlySet<string>)[],
): boolean {
  if (path.length !== pattern.length) return false
  return pattern.every((expected, index) => {
    const segment = path[index]
    if (expected === '#') return Number.isInteger(segment)
    if (typeof expected === 'string') return segment === expected
    return typeof segment === 'string' && expected.has(segment)
  })
}

function matches(entry: FalseError, error: SchemaError, doc: unknown): boolean {
  if (error.keyword !== entry.keyword) return false
  if (!entry.paths.some((pattern) => pathMatches(error.path, pattern))) return false
  return !entry.value || entry.value(at(doc, error.path))
}

/** The exception that excuses `error` on a `<apiVersion>/<kind>` document, if any. */
export function falseErrorFor(
  kind: string,
  error: SchemaError,
  doc: unknown,
): FalseError | undefined {
  return FALSE_ERRORS.find((entry) => entry.kind === kind && matches(entry, error, doc))
}
