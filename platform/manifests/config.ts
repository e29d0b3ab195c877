import type { Environment } from './environments.ts'
import { labelsOf, syncWave } from './metadata.ts'
import {
  CONFIG_MAP,
  configData,
  MIGRATE_DATABASE_URL_KEY,
  MIGRATE_SECRET,
  NAMESPACE,
  SECRET,
  SECRET_STORE,
  SECRET_VARIABLES,
} from './variables.ts'

/** The ConfigMap and the ExternalSecrets the functions and the migration Job read. */

export function configMap(env: Environment) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: CONFIG_MAP,
      namespace: NAMESPACE,
      labels: labelsOf(CONFIG_MAP, 'config'),
      annotations: syncWave(-2),
    },
    data: configData(env),
  }
}

function externalSecret(name: string, keys: Readonly<Record<string, string>>) {
  return {
    // v1: External Secrets stopped serving v1beta1 in v0.17.
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: {
      name,
      namespace: NAMESPACE,
      labels: labelsOf(name, 'config'),
      annotations: syncWave(-2),
    },
    spec: {
      // A rotated value reaches the Secret within the hour; pods read it when they
      // next start (docs/deploy: rotating a secret).
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: SECRET_STORE },
      target: { name, creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: Object.entries(keys).map(([secretKey, key]) => ({ secretKey, remoteRef: { key } })),
    },
  }
}

export function functionSecrets() {
  return externalSecret(SECRET, SECRET_VARIABLES)
}

export function migrationSecret() {
  return externalSecret(MIGRATE_SECRET, { DATABASE_URL: MIGRATE_DATABASE_URL_KEY })
}
