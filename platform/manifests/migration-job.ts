import type { Environment } from './environments.ts'
import { restrictedSecurityContext } from './knative-service.ts'
import { labelsOf, syncWave } from './metadata.ts'
import { CONFIG_MAP, MIGRATE_SECRET, NAMESPACE } from './variables.ts'

export const MIGRATE = 'migrate'

/**
 * The migration Job (`node dist/migrate/index.mjs`): an Argo CD Sync hook in the wave
 * before the functions, so a sync applies the schema first and stops there when a
 * migration fails. It connects to the primary directly (tenantry-db-rw) as the owner
 * role, never through the transaction pooler: a migration holds locks and session state
 * across statements that transaction pooling would split between server connections.
 */
export function migrationJob(env: Environment) {
  const labels = labelsOf(MIGRATE, 'migration')
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: MIGRATE,
      namespace: NAMESPACE,
      labels,
      annotations: {
        'argocd.argoproj.io/hook': 'Sync',
        // Kept after it ends (its log is the record of what was applied) and replaced by
        // the next sync's.
        'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
        ...syncWave(-1),
      },
    },
    spec: {
      // Migrations are idempotent per file (migrate.ts records each), so a retry after
      // a lost connection resumes where the last attempt stopped.
      backoffLimit: 3,
      activeDeadlineSeconds: 900,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          enableServiceLinks: false,
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: MIGRATE,
              image: env.image(MIGRATE),
              env: [
                {
                  name: 'DATABASE_URL',
                  valueFrom: { secretKeyRef: { name: MIGRATE_SECRET, key: 'DATABASE_URL' } },
                },
                {
                  name: 'LOG_LEVEL',
                  valueFrom: { configMapKeyRef: { name: CONFIG_MAP, key: 'LOG_LEVEL' } },
                },
              ],
              resources: {
                requests: { cpu: '100m', memory: '128Mi' },
                limits: { memory: '256Mi' },
              },
              securityContext: restrictedSecurityContext(),
            },
          ],
        },
      },
    },
  }
}
