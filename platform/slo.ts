/**
 * The service level objectives, defined once. The load tests' thresholds (k6 and the Node
 * harness), the PrometheusRules' burn-rate alerts and the SLO table in
 * docs/architecture/architecture.md are all derived from or checked against this module,
 * so an objective cannot differ between what is load-tested, what is alerted on and what
 * is promised.
 *
 * Pure data with no imports: k6 loads this file too (load-tests/lib), and k6 has no Node.
 * The API objectives come from the seed (p95 under 500 ms, errors under 1 %); the config
 * one from its hot-reload promise (under 100 ms); staleness from the reconcile interval.
 */

export interface LatencyObjective {
  /** 95th percentile of request duration, in milliseconds. */
  readonly p95Ms: number
  /** 99th percentile of request duration, in milliseconds. */
  readonly p99Ms: number
}

export const SLO = {
  /** The window the error budgets are counted over. */
  windowDays: 30,
  api: {
    /**
     * Share of requests that must not fail (5xx, or no answer). Its complement, 1 %, is the
     * error budget the burn-rate alerts spend and the load tests' error-rate threshold.
     */
    availability: 0.99,
    /** Every API route, streaming ones excluded (their duration is the stream's life). */
    latency: { p95Ms: 500, p99Ms: 1000 } satisfies LatencyObjective,
  },
  config: {
    /** Commit of a config write → its version applied on a live instance (hint path). */
    propagationP99Ms: 100,
    /**
     * An instance that has not confirmed its config against SQL for this long is stale:
     * twice the default reconcile interval (5 min), so one missed reconcile is not an alert.
     */
    maxStalenessSeconds: 600,
  },
  chat: {
    /** Reply published → written to every open stream of the chat, on any instance. */
    fanoutP99Ms: 250,
  },
} as const

/** The error budget of the API: the share of requests allowed to fail. */
export const API_ERROR_BUDGET = 1 - SLO.api.availability
