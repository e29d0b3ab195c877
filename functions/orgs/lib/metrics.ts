import { Counter, type Registry } from 'prom-client'
import { getOrCreate, perRegistry } from '#shared/http/metrics.ts'

/**
 * The orgs function's business metrics, on the function's registry (no-ops without one).
 * Counted where the state changes, not where the request is answered: a creation is
 * counted when its saga ends, by whichever run ends it (the request, a retry that resumed
 * it, or recovery), so each saga counts once however many requests touched it. No label
 * names an org or a user.
 */

/** How a creation saga ended. */
export type CreationOutcome =
  /** The org is usable. */
  | 'committed'
  /** A step failed; its compensations ran and the org reads `failed`. */
  | 'failed'
  /** Its process died mid-way; recovery compensated it. */
  | 'abandoned'

export const CREATION_OUTCOMES: readonly CreationOutcome[] = ['committed', 'failed', 'abandoned']

export interface OrgMetrics {
  created(outcome: CreationOutcome): void
  deleted(): void
}

const NO_METRICS: OrgMetrics = { created() {}, deleted() {} }

export const orgMetrics = perRegistry(createOrgMetrics, NO_METRICS)

function createOrgMetrics(registry: Registry): OrgMetrics {
  const registers = [registry]
  const created = getOrCreate(
    registry,
    'orgs_created_total',
    () =>
      new Counter<'outcome'>({
        name: 'orgs_created_total',
        help: 'Org creations that ended, by outcome (committed, failed, abandoned).',
        labelNames: ['outcome'],
        registers,
      }),
  )
  const deleted = getOrCreate(
    registry,
    'orgs_deleted_total',
    () =>
      new Counter({
        name: 'orgs_deleted_total',
        help: 'Orgs deleted (with their projects and chats).',
        registers,
      }),
  )
  // Every outcome from 0, so rate() and increase() see the first creation of each.
  for (const outcome of CREATION_OUTCOMES) created.inc({ outcome }, 0)
  return {
    created: (outcome) => created.inc({ outcome }),
    deleted: () => deleted.inc(),
  }
}
