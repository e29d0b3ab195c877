/**
 * The scenarios' own metrics, beside the ones both tools record for every request
 * (`http_reqs`, `http_req_duration`, `http_req_failed`, `checks`, `iterations`, …). k6
 * declares one `Counter`/`Rate`/`Trend` per entry in the init context; the harness
 * aggregates them the same way.
 */
export const CUSTOM_METRICS = {
  /**
   * A 429 the journey expected and waited out (`Retry-After`): guest sign-in beyond the
   * per-address limit. Not a failure; a 429 anywhere else is one (see README).
   */
  rate_limited: { kind: 'counter', time: false },
  /** A config write refused with 412 because another VU wrote first (expected, retried). */
  config_conflicts: { kind: 'counter', time: false },
  /** A read after a write that returned at least the written version. */
  config_read_fresh: { kind: 'rate', time: false },
  /** Config PUT sent → `/readyz` of the serving process shows the new version (ms). */
  config_propagation: { kind: 'trend', time: true },
  /** Chat action frame sent → its reply frame received on the socket (ms). */
  chat_reply_duration: { kind: 'trend', time: true },
  /** A reply (live or replayed) that answered the right action with a sequence above the last. */
  chat_replies_in_order: { kind: 'rate', time: false },
} as const

export type CustomMetricName = keyof typeof CUSTOM_METRICS
export type MetricKind = 'counter' | 'rate' | 'trend' | 'gauge'
