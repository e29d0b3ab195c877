import type { AnyFunction } from '#shared/runtime/definition.ts'
import { functionEnvSchema } from '#shared/runtime/process.ts'
import type { Environment } from './environments.ts'

/**
 * Where a deployed function's environment comes from. Non-secret settings live in one
 * ConfigMap; credentials and keys in one Secret that an ExternalSecret fills from the
 * cluster's secret store. A function's container names exactly the variables its
 * definition reads (functionEnvSchema), each from where it is kept: the signing key
 * reaches auth only, the cursor secret only the functions that paginate.
 */

export const NAMESPACE = 'tenantry'
export const CONFIG_MAP = 'tenantry-env'
export const SECRET = 'tenantry-secrets'
/** The migration Job's own Secret: the owner role's direct URL, which no function gets. */
export const MIGRATE_SECRET = 'tenantry-migrate'
/** The ClusterSecretStore the ExternalSecrets read (clusters/: one per provider). */
export const SECRET_STORE = 'tenantry'

/**
 * The values the ExternalSecrets read from the secret store: remote secrets and their
 * properties, the same ones the cluster's own ExternalSecrets read for the database roles
 * and the Valkey users (clusters/base/data/credentials.yaml; docs/deploy/providers.md).
 */
export const REMOTE_VALUES = {
  appPassword: { key: 'tenantry-db', property: 'app-password' },
  ownerPassword: { key: 'tenantry-db', property: 'owner-password' },
  valkeyPassword: { key: 'tenantry-valkey', property: 'tenantry-password' },
  cursorSecret: { key: 'tenantry-cursor', property: 'secret' },
  signingKey: { key: 'tenantry-auth', property: 'signing-key' },
  signingKid: { key: 'tenantry-auth', property: 'signing-kid' },
  verificationKeys: { key: 'tenantry-auth', property: 'verification-keys' },
  clients: { key: 'tenantry-auth', property: 'clients' },
} as const
export type RemoteValue = keyof typeof REMOTE_VALUES

const DATA = 'tenantry-data.svc.cluster.local'
/** A store value in a template; `urlquery` escapes what a URL's user info may not hold. */
const value = (name: RemoteValue, inUrl = false) => `{{ .${name}${inUrl ? ' | urlquery' : ''} }}`

/**
 * The Secret's variables, as External Secrets templates over REMOTE_VALUES. The URLs are
 * assembled here, not kept whole in the store: the store holds each password once, for
 * the role or user it belongs to and for every URL that logs in as it.
 */
export const SECRET_VARIABLES: Readonly<Record<string, string>> = {
  // Through the transaction pooler, as the app role (RLS applies; it owns nothing).
  DATABASE_URL: `postgresql://tenantry_app:${value('appPassword', true)}@tenantry-db-pooler.${DATA}:5432/tenantry`,
  REDIS_URL: `redis://tenantry:${value('valkeyPassword', true)}@valkey.${DATA}:6379`,
  CURSOR_SECRET: value('cursorSecret'),
  AUTH_SIGNING_KEY: value('signingKey'),
  AUTH_SIGNING_KID: value('signingKid'),
  AUTH_VERIFICATION_KEYS: value('verificationKeys'),
  AUTH_CLIENTS: value('clients'),
}

/** The migration Job's one variable: the primary, directly, as the owner role. */
export const MIGRATE_VARIABLES: Readonly<Record<string, string>> = {
  DATABASE_URL: `postgresql://tenantry_owner:${value('ownerPassword', true)}@tenantry-db-rw.${DATA}:5432/tenantry`,
}

/**
 * Read as optional by the functions but never optional in a cluster: without Redis a
 * replica would hear no config hints and fan out no chat to its peers.
 */
const REQUIRED_IN_CLUSTER = new Set(['REDIS_URL'])

/** The ConfigMap's data in an environment. */
export function configData(env: Environment): Record<string, string> {
  return {
    AUTH_ISSUER: `https://${env.apiHost}`,
    AUTH_AUDIENCE: 'tenantry-api',
    // auth's cluster-local address, through Knative's local gateway (functions are never
    // reached from outside but by the public HTTPRoutes).
    AUTH_JWKS_URL: `http://auth.${NAMESPACE}.svc.cluster.local/.well-known/jwks.json`,
    // The public Gateway replaces a client-sent X-Forwarded-For (clusters/), so its
    // left-most entry is the client that guest sign-in is rate-limited by.
    AUTH_TRUST_PROXY: 'true',
    LOG_LEVEL: env.logLevel,
    CORS_ALLOWED_ORIGINS: env.corsOrigins,
    CONFIG_RECONCILE_SECONDS: '300',
    ORG_PROVISIONER: 'kubernetes',
    ORG_NAMESPACE_PREFIX: 'tenant-',
    // Tracing off: an overlay that has an OpenTelemetry collector sets its OTLP/HTTP
    // address here (docs/architecture/observability.md).
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
  }
}

export interface EnvVar {
  name: string
  valueFrom:
    | { configMapKeyRef: { name: string; key: string } }
    | { secretKeyRef: { name: string; key: string; optional?: boolean } }
}

/**
 * The container's env: every variable the function reads that the ConfigMap or the
 * Secret holds. PORT is Knative's to set; a variable kept in neither takes its default.
 * An optional variable is optional in the Secret too, so a store without it starts the
 * function on the default instead of failing the pod.
 */
export function containerEnv(fn: AnyFunction, env: Environment): EnvVar[] {
  const config = configData(env)
  const vars: EnvVar[] = []
  for (const [name, entry] of Object.entries(functionEnvSchema(fn).entries)) {
    if (name in config) {
      vars.push({ name, valueFrom: { configMapKeyRef: { name: CONFIG_MAP, key: name } } })
    } else if (name in SECRET_VARIABLES) {
      const optional =
        entry.type === 'optional' && !REQUIRED_IN_CLUSTER.has(name) ? { optional: true } : {}
      vars.push({ name, valueFrom: { secretKeyRef: { name: SECRET, key: name, ...optional } } })
    }
  }
  return vars
}
