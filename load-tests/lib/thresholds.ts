import { API_ERROR_BUDGET, SLO } from '../../platform/slo.ts'
import type { RouteName } from './routes.ts'

/**
 * The scenarios' thresholds, in k6's syntax (`metric{tag:value}` → expressions), derived
 * from platform/slo.ts and from nothing else, so a load test passes exactly when the
 * objectives held for what it sent:
 *
 * - every route's p95 and p99 under the API latency objective, and the same over all
 *   requests (streams are not in `http_req_duration`: k6 times a WebSocket's handshake
 *   as `ws_connecting`);
 * - `http_req_failed` under the error budget (1 − availability). It is stricter than the
 *   SLO, which counts 5xx and no answer only: here any status the step did not expect is
 *   a failure (a 4xx means the server broke the contract, or the test did);
 * - `checks` at least the availability: the answers' content, not only their status;
 * - `iterations` above zero, so a run that completed nothing cannot pass;
 * - per scenario, its own objective (chat replies, config propagation and freshness).
 */

export type Thresholds = Readonly<Record<string, readonly string[]>>

/** `0.010000000000000009` (1 − 0.99 in floating point) as `0.01`. */
const plain = (n: number) => Number(n.toFixed(6))

const latency = [`p(95)<${SLO.api.latency.p95Ms}`, `p(99)<${SLO.api.latency.p99Ms}`] as const

/** The API objectives over the given routes. */
export function apiThresholds(routes: readonly RouteName[]): Record<string, readonly string[]> {
  const thresholds: Record<string, readonly string[]> = {
    http_req_failed: [`rate<${plain(API_ERROR_BUDGET)}`],
    http_req_duration: latency,
    checks: [`rate>=${plain(SLO.api.availability)}`],
    iterations: ['count>0'],
  }
  for (const route of routes) thresholds[`http_req_duration{route:${route}}`] = latency
  return thresholds
}

/**
 * Chat: a reply's round trip (action frame out → reply frame in) contains the fan-out
 * the objective bounds (reply published → written to the stream) plus the action's own
 * work, so holding the fan-out objective over the round trip means it held. Replies
 * must come in order, every one: a gap or a duplicate is a bug, not load.
 */
export const CHAT_THRESHOLDS: Thresholds = {
  chat_reply_duration: [`p(99)<${SLO.chat.fanoutP99Ms}`],
  chat_replies_in_order: ['rate==1'],
}

/**
 * Config: a read after a write sees at least that version, always (one SQL row, read
 * after the write committed). Propagation is timed from the PUT being sent to the new
 * version shown by `/readyz` — again more than the objective's commit → applied — where
 * the target exposes it (`npm start` does; behind the cluster gateway it is not routed,
 * and the metric stays empty, which k6 and the harness both count as a pass).
 */
export const CONFIG_THRESHOLDS: Thresholds = {
  config_read_fresh: ['rate==1'],
  config_propagation: [`p(99)<${SLO.config.propagationP99Ms}`],
}
