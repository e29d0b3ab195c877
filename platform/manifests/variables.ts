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
 * The Secret's variables and, for each, the key it has in the secret store. The URLs are
 * whole in the store (the pooler's address with the app role's password), so a rotation
 * is one write there and a restart here.
 */
export const SECRET_VARIABLES: Readonly<Record<string, string>> = {
  DATABASE_URL: 'tenantry/app-database-url',
  REDIS_URL: 'tenantry/redis-url',
  CURSOR_SECRET: 'tenantry/cursor-secret',
  AUTH_SIGNING_KEY: 'tenantry/auth-signing-key',
  AUTH_SIGNING_KID: 'tenantry/auth-signing-kid',
  AUTH_VERIFICATION_KEYS: 'tenantry/auth-verification-keys',
  AUTH_CLIENTS: 'tenantry/auth-clients',
}
/**
 * Read as optional by the functions but never optional in a cluster: without Redis a
 * replica would hear no config hints and fan out no chat to its peers.
 */
const REQUIRED_IN_CLUSTER = new Set(['REDIS_URL'])

export const MIGRATE_DATABASE_URL_KEY = 'tenantry/owner-database-url'

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
