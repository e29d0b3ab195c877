import type { Environment } from './environments.ts'
import { labelsOf, syncWave } from './metadata.ts'
import {
  CONFIG_MAP,
  configData,
  MIGRATE_SECRET,
  MIGRATE_VARIABLES,
  NAMESPACE,
  REMOTE_VALUES,
  type RemoteValue,
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

/** The store values some templates read, once each, in REMOTE_VALUES' order. */
function valuesRead(templates: Readonly<Record<string, string>>): RemoteValue[] {
  const text = Object.values(templates).join('\n')
  return (Object.keys(REMOTE_VALUES) as RemoteValue[]).filter((name) =>
    new RegExp(`\\{\\{ \\.${name}[ }]`).test(text),
  )
}

function externalSecret(name: string, templates: Readonly<Record<string, string>>) {
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
      // next start (docs/deploy/providers.md).
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: SECRET_STORE },
      target: {
        name,
        creationPolicy: 'Owner',
        template: { engineVersion: 'v2', data: templates },
      },
      data: valuesRead(templates).map((secretKey) => ({
        secretKey,
        remoteRef: REMOTE_VALUES[secretKey],
      })),
    },
  }
}

export function functionSecrets() {
  return externalSecret(SECRET, SECRET_VARIABLES)
}

export function migrationSecret() {
  return externalSecret(MIGRATE_SECRET, MIGRATE_VARIABLES)
}
