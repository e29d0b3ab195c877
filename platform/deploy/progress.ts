import { oneLine } from './errors.ts'
import type { Condition, ServiceObject } from './knative-api.ts'

/** Where a rollout stands after one look at the Service. */
export type Outcome =
  | { kind: 'waiting'; waitingFor: string }
  | { kind: 'ready'; url: string | undefined; revision: string | undefined }
  | { kind: 'failed'; revision: string | undefined; condition: Condition }

// Ready=False can be Ready failing for good or a moment in a rollout that recovers: a
// container that exits once before its database is reachable is restarted by its
// Deployment and may still become ready. A False condition counts as the failure once
// it has held this long.
export const FAIL_AFTER_MS = 2000

// Knative's Service rolls up these two into Ready; a failing revision shows first as
// ConfigurationsReady=False (RevisionFailed, ContainerMissing, …), with the best message.
const FAILURE_ORDER = ['ConfigurationsReady', 'RoutesReady', 'Ready']

/**
 * Follows one rollout of a Knative Service, given each look at it: returns the progress
 * lines for what changed since the last look and the outcome. Status written before the
 * controller saw this apply (observedGeneration below the applied generation) says
 * nothing about the new revision and is not reported: it may well be the old one's Ready.
 */
export function rolloutTracker(generation: number, failAfterMs = FAIL_AFTER_MS) {
  let announcedWait = false
  let revision: string | undefined
  const lastSeen = new Map<string, string>()
  let failing: { type: string; since: number } | undefined

  return {
    update(service: ServiceObject, elapsedMs: number): { lines: string[]; outcome: Outcome } {
      const at = elapsed(elapsedMs)
      const lines: string[] = []
      const status = service.status ?? {}
      if ((status.observedGeneration ?? 0) < generation) {
        if (!announcedWait)
          lines.push(`${at} waiting for Knative to pick up generation ${generation}`)
        announcedWait = true
        const seen = status.observedGeneration
        return {
          lines,
          outcome: {
            kind: 'waiting',
            waitingFor: `the Knative controller to observe generation ${generation} (${
              seen === undefined ? 'no status yet' : `status is of generation ${seen}`
            }); is Knative Serving's controller running?`,
          },
        }
      }
      if (status.latestCreatedRevisionName && status.latestCreatedRevisionName !== revision) {
        revision = status.latestCreatedRevisionName
        lines.push(`${at} revision ${revision} created`)
      }
      const conditions = status.conditions ?? []
      for (const condition of conditions) {
        const text = conditionText(condition)
        if (lastSeen.get(condition.type) === text) continue
        lastSeen.set(condition.type, text)
        lines.push(`${at} ${text}`)
      }

      const byType = new Map(conditions.map((c) => [c.type, c]))
      if (byType.get('Ready')?.status === 'True') {
        return { lines, outcome: { kind: 'ready', url: status.url, revision } }
      }
      const failed = FAILURE_ORDER.map((type) => byType.get(type)).find(
        (c) => c?.status === 'False',
      )
      if (!failed) failing = undefined
      else if (failing?.type !== failed.type) failing = { type: failed.type, since: elapsedMs }
      if (failed && failing && elapsedMs - failing.since >= failAfterMs) {
        return { lines, outcome: { kind: 'failed', revision, condition: failed } }
      }
      const ready = byType.get('Ready')
      return {
        lines,
        outcome: {
          kind: 'waiting',
          waitingFor: !revision
            ? `a revision of generation ${generation} to be created`
            : `revision ${revision} to become Ready (${ready ? conditionText(ready) : 'no Ready condition yet'})`,
        },
      }
    },
  }
}

/** `Ready=Unknown RevisionMissing: Configuration "auth" is waiting …`, on one line. */
export function conditionText(condition: Condition): string {
  const reason = condition.reason ? ` ${condition.reason}` : ''
  const message = condition.message ? `: ${oneLine(condition.message)}` : ''
  return `${condition.type}=${condition.status}${reason}${message}`
}

/** Seconds since the start, one decimal, right-aligned so progress lines line up. */
export function elapsed(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`.padStart(6)
}
