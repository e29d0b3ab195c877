import type { AnyFunction } from '#shared/runtime/definition.ts'
import { type Files, renderKnative } from './render.ts'

/**
 * Every file `npm run manifests` writes, by repository path: knative/ and, once the chart
 * generator exists, the chart's generated values. One list, so the drift test checks
 * exactly what the script writes.
 */
export function generatedFiles(functions: readonly AnyFunction[]): Files {
  return renderKnative(functions)
}
