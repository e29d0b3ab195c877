import type { AnyFunction } from '#shared/runtime/definition.ts'
import { chartFiles } from './chart.ts'
import { type Files, renderKnative } from './render.ts'

/**
 * Every file `npm run manifests` writes, by repository path: knative/ and the Helm chart's
 * values and their schema. One list, so the drift test checks exactly what the script
 * writes. (biome.json leaves the generated JSON schema as written.)
 */
export function generatedFiles(functions: readonly AnyFunction[]): Files {
  return new Map([...renderKnative(functions), ...Object.entries(chartFiles(functions))])
}
