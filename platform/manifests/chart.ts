import { toJsonSchema } from '@valibot/to-json-schema'
import * as v from 'valibot'
import { stringify } from 'yaml'
import { FUNCTIONS } from '#platform/functions.ts'
import type { AnyFunction } from '#shared/runtime/definition.ts'
import { accessObjects, disruptionBudgets } from './access.ts'
import { configMap } from './config.ts'
import { BASE, IMAGE_REPOSITORY, parseImage } from './environments.ts'
import { type KnativeServiceManifest, knativeService } from './knative-service.ts'
import { MIGRATE, migrationJob } from './migration-job.ts'
import { NAMESPACE } from './variables.ts'

/**
 * charts/tenantry-functions, for those who install with Helm instead of Argo CD. Its
 * values are generated here from the same definitions as knative/base: each function's
 * Knative Service as knativeService() renders it, less the few fields the templates set
 * from values (image, namespace, min-scale, max-scale). The templates put those back and
 * write the rest out whole, so the chart cannot say anything the generator does not.
 * scripts/check-chart.ts compares `helm template` output with chartObjects() in CI.
 */

export const CHART_DIR = 'charts/tenantry-functions'
const MIN_SCALE = 'autoscaling.knative.dev/min-scale'
const MAX_SCALE = 'autoscaling.knative.dev/max-scale'

/** Labels the chart adds to every object's own metadata (templates/_helpers.tpl). */
export const HELM_LABELS = [
  'helm.sh/chart',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/managed-by',
]

/** Hook annotations the chart adds: settings first, then the migration, then the release. */
export const HOOKS = {
  config: {
    'helm.sh/hook': 'pre-install,pre-upgrade',
    'helm.sh/hook-weight': '-10',
    'helm.sh/hook-delete-policy': 'before-hook-creation',
  },
  migration: {
    'helm.sh/hook': 'pre-install,pre-upgrade',
    'helm.sh/hook-weight': '0',
    'helm.sh/hook-delete-policy': 'before-hook-creation',
  },
} as const

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const stringMap = v.record(v.string(), v.string())
const scale = v.pipe(v.number(), v.integer(), v.minValue(0))
/** '' means `<image.repository>/<name>:<image.tag>`; otherwise a whole reference. */
const imageOverride = v.pipe(
  v.string(),
  v.regex(/^$|^[a-z0-9][\w.\-/:]*(@sha256:[0-9a-f]{64})?$/, 'an image reference, or empty'),
)
const kubeObject = v.looseObject({
  apiVersion: v.string(),
  kind: v.string(),
  metadata: v.looseObject({
    name: v.pipe(v.string(), v.regex(NAME)),
    labels: v.optional(stringMap),
  }),
})

const functionValues = v.pipe(
  v.strictObject({
    enabled: v.boolean(),
    image: imageOverride,
    minScale: scale,
    /** 0 lets Knative scale without a bound. */
    maxScale: scale,
    /** The function's Knative Service, less its name, namespace, image and scale bounds. */
    service: v.strictObject({
      metadata: v.strictObject({ labels: stringMap, annotations: stringMap }),
      spec: v.looseObject({
        template: v.looseObject({
          metadata: v.strictObject({ labels: stringMap, annotations: stringMap }),
          spec: v.looseObject({ containers: v.strictTuple([v.looseObject({})]) }),
        }),
      }),
    }),
    /** What else the function needs to run: its ServiceAccount and RBAC, its disruption budget. */
    objects: v.array(kubeObject),
  }),
  // JSON Schema cannot compare two fields: the template fails on this too.
  v.check(
    (fn) => fn.maxScale === 0 || fn.minScale <= fn.maxScale,
    'minScale must not be above maxScale',
  ),
)

/** The chart's values, exactly: a key the chart does not read is refused, not ignored. */
export function valuesSchema(functions: readonly AnyFunction[] = FUNCTIONS) {
  return v.strictObject({
    /** Where every namespaced object goes (the ConfigMap's URLs name `tenantry`: see NOTES). */
    namespace: v.pipe(v.string(), v.regex(NAME)),
    image: v.strictObject({
      repository: v.pipe(v.string(), v.minLength(1)),
      tag: v.pipe(v.string(), v.regex(/^[\w][\w.-]{0,127}$/)),
    }),
    /** The ConfigMap the functions and the migration read (tenantry-env). */
    config: v.strictObject({
      apiVersion: v.literal('v1'),
      kind: v.literal('ConfigMap'),
      metadata: kubeObject.entries.metadata,
      data: stringMap,
    }),
    /** The migration Job, run as a hook before every install and upgrade. */
    migration: v.strictObject({
      enabled: v.boolean(),
      image: imageOverride,
      job: kubeObject,
    }),
    functions: v.strictObject(
      Object.fromEntries(functions.map((fn) => [fn.name, functionValues])) as Record<
        string,
        typeof functionValues
      >,
    ),
  })
}

export type ChartValues = v.InferOutput<ReturnType<typeof valuesSchema>>

/** The part of an image reference the chart's `image.repository`/`image.tag` leave out. */
function imageOverrideOf(name: string, tag: string): string {
  const reference = BASE.image(name)
  return reference === `${IMAGE_REPOSITORY}/${name}:${tag}` ? '' : reference
}

/** The tag of the base's images: what `image.tag` defaults to. */
function baseTag(): string {
  return parseImage(BASE.image(MIGRATE)).tag ?? 'main'
}

function functionValuesOf(fn: AnyFunction, tag: string): v.InferOutput<typeof functionValues> {
  const { metadata, spec } = structuredClone(knativeService(fn))
  const {
    [MIN_SCALE]: minScale,
    [MAX_SCALE]: maxScale,
    ...annotations
  } = spec.template.metadata.annotations
  const [{ image: _image, ...container }] = spec.template.spec.containers
  return {
    enabled: true,
    image: imageOverrideOf(fn.name, tag),
    minScale: Number(minScale),
    maxScale: Number(maxScale),
    service: {
      metadata: { labels: metadata.labels, annotations: metadata.annotations },
      spec: {
        ...spec,
        template: {
          metadata: { ...spec.template.metadata, annotations },
          spec: { ...spec.template.spec, containers: [container] },
        },
      },
    },
    objects: structuredClone([...accessObjects([fn]), ...disruptionBudgets([fn])]),
  }
}

/** values.yaml, as an object; checked against the chart's own schema as it is made. */
export function chartValues(functions: readonly AnyFunction[] = FUNCTIONS): ChartValues {
  const tag = baseTag()
  const job = structuredClone(migrationJob(BASE))
  for (const container of job.spec.template.spec.containers) {
    delete (container as { image?: string }).image
  }
  const values = {
    namespace: NAMESPACE,
    image: { repository: IMAGE_REPOSITORY, tag },
    config: structuredClone(configMap(BASE)),
    migration: { enabled: true, image: imageOverrideOf(MIGRATE, tag), job },
    functions: Object.fromEntries(functions.map((fn) => [fn.name, functionValuesOf(fn, tag)])),
  }
  // The parsed copy would reorder keys; the generated file keeps the generator's order.
  v.parse(valuesSchema(functions), values)
  return values as ChartValues
}

type KubeObject = { apiVersion: string; kind: string; metadata: { name: string } } & Record<
  string,
  unknown
>

/**
 * What `helm template` must print for the default values, without the labels the chart
 * adds (HELM_LABELS): the generator's own objects, with the chart's hook annotations.
 */
export function chartObjects(functions: readonly AnyFunction[] = FUNCTIONS): KubeObject[] {
  const hooked = <T extends { metadata: { annotations: Record<string, string> } }>(
    object: T,
    hook: Record<string, string>,
  ): T => ({
    ...object,
    metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, ...hook } },
  })
  return structuredClone([
    hooked(configMap(BASE), HOOKS.config),
    hooked(migrationJob(BASE), HOOKS.migration),
    ...functions.flatMap((fn): KubeObject[] => [
      knativeService(fn) satisfies KnativeServiceManifest as unknown as KubeObject,
      ...accessObjects([fn]),
      ...disruptionBudgets([fn]),
    ]),
  ]) as KubeObject[]
}

const HEADER = [
  '# Generated by `npm run manifests` from platform/functions.ts (platform/manifests/chart.ts).',
  '# Do not edit: override at install time (helm install -f my-values.yaml / --set).',
  '#',
  '# namespace         where every namespaced object goes',
  '# image.repository  functions run <repository>/<function>:<tag>, the Job <repository>/migrate:<tag>',
  '# image.tag',
  '# config            the ConfigMap tenantry-env (a hook, so the migration can read it)',
  '# migration         the migration Job, a pre-install/pre-upgrade hook; image: a whole reference',
  '# functions.<name>  enabled, image (a whole reference, e.g. with @sha256:…), minScale, maxScale;',
  '#                   service and objects are the generated manifests the templates write out',
  '',
].join('\n')

/** The generated files of the chart, by repository path. */
export function chartFiles(functions: readonly AnyFunction[] = FUNCTIONS): Record<string, string> {
  // Shared parts once, by reference: every function's values have one shape.
  const schema = toJsonSchema(valuesSchema(functions), {
    target: 'draft-07',
    ignoreActions: ['check'],
    definitions: { function: functionValues, object: kubeObject },
  })
  const { $defs, ...rest } = schema
  const json = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'tenantry-functions values (generated by npm run manifests)',
    ...rest,
    // draft-07 spells `$defs` as `definitions`; Helm's older validators know only that.
    definitions: $defs,
  }
  return {
    [`${CHART_DIR}/values.yaml`]:
      HEADER + stringify(chartValues(functions), { lineWidth: 0, aliasDuplicateObjects: false }),
    [`${CHART_DIR}/values.schema.json`]: `${JSON.stringify(json, null, 2).replaceAll('"#/$defs/', '"#/definitions/')}\n`,
  }
}

/** An object's identity in messages and maps: kind/namespace/name. */
function keyOf(object: { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }) {
  const { kind, metadata } = object
  return `${String(kind)}/${metadata?.namespace ? `${String(metadata.namespace)}/` : ''}${String(metadata?.name)}`
}

/** Where two JSON values differ, as paths (`spec.template.spec.containers.0.image: …`). */
function differences(actual: unknown, expected: unknown, path: string): string[] {
  if (
    typeof actual === 'object' &&
    actual !== null &&
    typeof expected === 'object' &&
    expected !== null &&
    Array.isArray(actual) === Array.isArray(expected)
  ) {
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)])
    return [...keys].flatMap((key) =>
      differences(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        path ? `${path}.${key}` : key,
      ),
    )
  }
  return Object.is(actual, expected)
    ? []
    : [`${path}: ${JSON.stringify(actual)} where the generator has ${JSON.stringify(expected)}`]
}

/**
 * How the chart's rendering (parsed `helm template` documents, default values) differs
 * from chartObjects(): one line per object missing, unexpected or different. Each object
 * must carry the chart's labels, which are then left out of the comparison.
 */
export function chartDifferences(
  documents: readonly unknown[],
  functions: readonly AnyFunction[] = FUNCTIONS,
): string[] {
  const expected = new Map(chartObjects(functions).map((object) => [keyOf(object), object]))
  const problems: string[] = []
  const seen = new Set<string>()
  for (const document of documents) {
    if (document === null || typeof document !== 'object') continue
    const object = structuredClone(document) as KubeObject & {
      metadata: { labels?: Record<string, string> }
    }
    const key = keyOf(object)
    if (seen.has(key)) problems.push(`${key}: rendered twice`)
    seen.add(key)
    const want = expected.get(key)
    if (!want) {
      problems.push(`${key}: rendered by the chart, not by the generator`)
      continue
    }
    const labels = object.metadata.labels ?? {}
    for (const label of HELM_LABELS) {
      if (!(label in labels)) problems.push(`${key}: no ${label} label`)
      delete labels[label]
    }
    problems.push(...differences(object, want, '').map((line) => `${key}: ${line}`))
  }
  for (const key of expected.keys()) {
    if (!seen.has(key)) problems.push(`${key}: generated but not rendered by the chart`)
  }
  return problems
}
