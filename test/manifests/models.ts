import * as argoCd from '@kubernetes-models/argo-cd'
import * as certManager from '@kubernetes-models/cert-manager'
import * as cloudnativePg from '@kubernetes-models/cloudnative-pg'
import * as envoyGateway from '@kubernetes-models/envoy-gateway'
import * as externalSecrets from '@kubernetes-models/external-secrets'
import * as gatewayApi from '@kubernetes-models/gateway-api'
import * as knative from '@kubernetes-models/knative'
import * as kyverno from '@kubernetes-models/kyverno'
import * as prometheusOperator from '@kubernetes-models/prometheus-operator'
import * as core from 'kubernetes-models'

/**
 * A model class of the kubernetes-models packages: its prototype's `validate()` runs the
 * package's compiled JSON schema against `this` and throws an ajv ValidationError.
 */
export interface Validatable {
  readonly prototype: { validate(): void }
}

/** A model of a whole kind (not a helper type such as Container). */
export interface ModelClass extends Validatable {
  readonly apiVersion: string
  readonly kind: string
}

const PACKAGES: Record<string, unknown> = {
  'kubernetes-models': core,
  '@kubernetes-models/argo-cd': argoCd,
  '@kubernetes-models/cert-manager': certManager,
  '@kubernetes-models/cloudnative-pg': cloudnativePg,
  '@kubernetes-models/envoy-gateway': envoyGateway,
  '@kubernetes-models/external-secrets': externalSecrets,
  '@kubernetes-models/gateway-api': gatewayApi,
  '@kubernetes-models/knative': knative,
  '@kubernetes-models/kyverno': kyverno,
  '@kubernetes-models/prometheus-operator': prometheusOperator,
}

function isModelClass(value: unknown): value is ModelClass {
  if (typeof value !== 'function') return false
  const { apiVersion, kind } = value as Partial<ModelClass>
  return typeof apiVersion === 'string' && typeof kind === 'string'
}

/**
 * Every top-level kind the packages export, keyed `<apiVersion>/<kind>`. The packages nest
 * their exports as group → version → class, so the walk goes a few namespaces deep; helper
 * types (ObjectMeta, Container…) have no `kind` and are left out.
 */
function buildTable(): Map<string, ModelClass> {
  const table = new Map<string, ModelClass>()
  const walk = (namespace: object, depth: number) => {
    for (const value of Object.values(namespace)) {
      if (isModelClass(value)) table.set(`${value.apiVersion}/${value.kind}`, value)
      else if (typeof value === 'object' && value !== null && depth < 3) walk(value, depth + 1)
    }
  }
  for (const exports of Object.values(PACKAGES)) walk(exports as object, 0)
  return table
}

export const MODELS: ReadonlyMap<string, ModelClass> = buildTable()

/**
 * API versions a package predates, validated with the version it does model. Each entry is
 * a promotion that kept the schema: External Secrets promoted v1beta1 to v1 (0.16) with
 * the same fields, and @kubernetes-models/external-secrets 0.5.2 stops at v1beta1.
 */
export const VERSION_ALIASES: Readonly<Record<string, string>> = {
  'external-secrets.io/v1': 'external-secrets.io/v1beta1',
}

export function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  return (
    MODELS.get(`${apiVersion}/${kind}`) ??
    MODELS.get(`${VERSION_ALIASES[apiVersion] ?? apiVersion}/${kind}`)
  )
}
