import { Counter, type Registry } from 'prom-client'
import { getOrCreate, perRegistry } from '#shared/http/metrics.ts'

/**
 * The projects function's business metrics, on the function's registry (no-ops without
 * one). Counted once the change has committed, and not for an Idempotency-Key replay,
 * which changes nothing. No label names a project, an org or a user.
 */

export interface ProjectMetrics {
  created(): void
  deleted(): void
}

const NO_METRICS: ProjectMetrics = { created() {}, deleted() {} }

export const projectMetrics = perRegistry(createProjectMetrics, NO_METRICS)

function createProjectMetrics(registry: Registry): ProjectMetrics {
  const registers = [registry]
  const created = getOrCreate(
    registry,
    'projects_created_total',
    () => new Counter({ name: 'projects_created_total', help: 'Projects created.', registers }),
  )
  const deleted = getOrCreate(
    registry,
    'projects_deleted_total',
    () =>
      new Counter({
        name: 'projects_deleted_total',
        help: 'Projects deleted (with their chats).',
        registers,
      }),
  )
  return { created: () => created.inc(), deleted: () => deleted.inc() }
}
