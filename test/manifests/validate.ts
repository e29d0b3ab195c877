import { digestRules } from './digests.ts'
import { falseErrorFor } from './false-errors.ts'
import { knativeServiceRules } from './knative.ts'
import { modelFor } from './models.ts'
import {
  type Finding,
  formatPath,
  isObject,
  type Manifest,
  type Problem,
  whereOf,
} from './problems.ts'
import { checkSchema } from './schema-check.ts'
import { checkShape } from './shape.ts'
import { UNCOVERED } from './uncovered.ts'

export type { Manifest, Problem } from './problems.ts'

export interface ValidateOptions {
  /** Every container image of a workload must be pinned by `@sha256:` digest (prod). */
  requireDigests?: boolean
}

/**
 * Every problem of every document, never throwing: a bad document is a problem, not a crash,
 * so one run reports all of them. Each document gets its model's schema (or, for the few
 * kinds no package models, a hand-written shape), the closed-object check, and the rules
 * schemas miss.
 */
export function validateManifests(
  docs: readonly unknown[],
  options: ValidateOptions = {},
): Problem[] {
  return docs.flatMap((doc) => {
    const where = whereOf(doc)
    const toProblem = (finding: Finding): Problem => ({
      where,
      path: formatPath(finding.path),
      message: finding.message,
    })
    try {
      return validateOne(doc, options).map(toProblem)
    } catch (error) {
      return [toProblem({ path: [], message: `validator failed: ${String(error)}` })]
    }
  })
}

function validateOne(doc: unknown, options: ValidateOptions): Finding[] {
  if (!isObject(doc)) return [{ path: [], message: 'a document must be an object' }]
  const { apiVersion, kind } = doc
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return [{ path: [], message: 'apiVersion and kind must be strings' }]
  }
  const key = `${apiVersion}/${kind}`
  const findings = [...structure(doc, apiVersion, kind)]
  if (key === 'serving.knative.dev/v1/Service') findings.push(...knativeServiceRules(doc))
  if (options.requireDigests) findings.push(...digestRules(doc))
  return findings
}

function structure(doc: Manifest, apiVersion: string, kind: string): Finding[] {
  const key = `${apiVersion}/${kind}`
  const model = modelFor(apiVersion, kind)
  if (model) {
    // An aliased version (VERSION_ALIASES) is checked as the version the package models.
    const subject = model.apiVersion === apiVersion ? doc : { ...doc, apiVersion: model.apiVersion }
    const { errors, unknownFields } = checkSchema(model, subject)
    return [...errors, ...unknownFields].filter((error) => !falseErrorFor(key, error, doc))
  }
  const shape = UNCOVERED[key]
  if (shape) return checkShape(shape, doc, [])
  return [{ path: [], message: `no model for ${key}` }]
}
