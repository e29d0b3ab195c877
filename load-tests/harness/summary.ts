import { formatDuration } from '../lib/duration.ts'
import type { Scenario } from '../lib/scenarios.ts'
import { maxVus, type RampingVus, totalMs } from '../lib/stages.ts'
import type { Thresholds } from '../lib/thresholds.ts'
import type { Aggregate, MetricStore } from './metric-store.ts'
import type { RunResult } from './runner.ts'
import {
  assertApplies,
  type Expression,
  holds,
  measure,
  parseExpression,
  parseSelector,
  type Selector,
  ThresholdError,
} from './thresholds.ts'

/**
 * The end of a run, on stdout: what ran, every threshold with ✓ or ✗ and the value it
 * was judged on, the checks, per route and per metric the count, rate, avg, p50, p90,
 * p95, p99, max and failure rate (the columns of k6's end-of-test summary, with the
 * percentiles the SLOs name), the unexpected answers by route and status, and last the
 * closing figures as `<name> <number>` lines, the benchmarks' convention, with the
 * run-wide ones at the very end.
 */

export interface ThresholdResult {
  selector: string
  expression: string
  ok: boolean
  /** The aggregation and its value, as printed: `p(95)=12.31ms`. */
  shown: string
}

interface CompiledThreshold {
  source: string
  selector: Selector
  expressions: Expression[]
}

/** Parses every threshold and checks it against the metrics' kinds (k6 refuses these too). */
export function compileThresholds(thresholds: Thresholds, store: MetricStore): CompiledThreshold[] {
  return Object.entries(thresholds).map(([source, list]) => {
    const selector = parseSelector(source)
    const kind = store.kindOf(selector.metric)
    if (!kind) throw new ThresholdError(`'${source}': no metric named ${selector.metric}`)
    const expressions = list.map(parseExpression)
    for (const expression of expressions) assertApplies(expression, selector.metric, kind)
    return { source, selector, expressions }
  })
}

export function evaluateThresholds(
  compiled: readonly CompiledThreshold[],
  store: MetricStore,
  durationS: number,
): ThresholdResult[] {
  return compiled.flatMap(({ source, selector, expressions }) => {
    const aggregate = store.aggregate(selector.metric, selector.tags) as Aggregate
    return expressions.map((expression) => {
      const actual = measure(expression, aggregate, durationS)
      const { aggregation } = expression
      const name = aggregation.name === 'p' ? `p(${aggregation.p})` : aggregation.name
      return {
        selector: source,
        expression: expression.source,
        ok: holds(expression, actual),
        shown: `${name}=${formatValue(actual, aggregate, expression)}`,
      }
    })
  })
}

export interface SummaryInput {
  scenario: Scenario
  plan: RampingVus
  baseUrl: string
  run: RunResult
  store: MetricStore
  thresholds: readonly ThresholdResult[]
  /** `<route> <status> <code>` → how many. */
  unexpected: ReadonlyMap<string, number>
}

export function printSummary(input: SummaryInput, write: (line: string) => void): void {
  const { scenario, plan, run, store } = input
  const durationS = run.durationMs / 1000
  write('')
  write(`█ ${scenario.name} — ${scenario.summary}`)
  write(
    `  ${input.baseUrl} · ${vusText(maxVus(plan))} at most · stages ${formatDuration(totalMs(plan))} + graceful stop ${plan.gracefulStop} · ran ${durationS.toFixed(1)} s`,
  )
  write(
    `  iterations: ${run.iterations} complete, ${run.interrupted} interrupted, ${run.failed} threw`,
  )
  if (run.failed > 0) write(`  first to throw: ${describe(run.firstFailure)}`)

  write('')
  write('█ THRESHOLDS')
  const width = Math.max(...input.thresholds.map((t) => t.selector.length), 10)
  for (const t of input.thresholds) {
    write(
      `  ${t.ok ? '✓' : '✗'} ${t.selector.padEnd(width)}  ${t.expression.padEnd(12)}  ${t.shown}`,
    )
  }

  const checks = store.aggregate('checks')
  write('')
  write(
    `█ CHECKS ${percent(checks?.rate(durationS) ?? 0)} (${checks?.nonZero ?? 0} of ${checks?.samples ?? 0})`,
  )
  for (const name of store.tagValues('checks', 'check')) {
    const one = store.aggregate('checks', { check: name }) as Aggregate
    write(
      `  ${one.nonZero === one.samples ? '✓' : '✗'} ${name.padEnd(36)} ${one.nonZero} of ${one.samples}`,
    )
  }

  write('')
  const routes = store.tagValues('http_req_duration', 'route')
  const rows: [string, Aggregate, Aggregate | undefined][] = routes.map((route) => [
    route,
    store.aggregate('http_req_duration', { route }) as Aggregate,
    store.aggregate('http_req_failed', { route }),
  ])
  rows.push([
    'all requests',
    store.aggregate('http_req_duration') as Aggregate,
    store.aggregate('http_req_failed'),
  ])
  table('█ HTTP', rows, durationS, write)

  write('')
  write('█ METRICS')
  const trends: [string, Aggregate, Aggregate | undefined][] = []
  for (const name of store.names().sort()) {
    const aggregate = store.aggregate(name) as Aggregate
    if (aggregate.samples === 0 && aggregate.sum === 0) continue
    if (aggregate.kind === 'trend') trends.push([name, aggregate, undefined])
    else write(`  ${dotted(name)} ${scalar(aggregate, durationS)}`)
  }
  write('')
  table('  trends', trends, durationS, write)

  if (input.unexpected.size > 0) {
    write('')
    write('█ UNEXPECTED ANSWERS (route, status, problem code)')
    for (const [what, n] of [...input.unexpected].sort((a, b) => b[1] - a[1])) {
      write(`  ${what} ×${n}`)
    }
  }

  write('')
  for (const [route, duration] of rows.slice(0, -1)) {
    write(`p95_ms{route="${route}"} ${duration.percentile(95).toFixed(2)}`)
    write(`p99_ms{route="${route}"} ${duration.percentile(99).toFixed(2)}`)
  }
  for (const [name, aggregate] of trends) {
    if (!name.startsWith('http_req') && aggregate.time && name !== 'iteration_duration') {
      write(`${name}_p99_ms ${aggregate.percentile(99).toFixed(2)}`)
    }
  }
  const all = store.aggregate('http_req_duration') as Aggregate
  const failed = store.aggregate('http_req_failed') as Aggregate
  write(`duration_s ${durationS.toFixed(1)}`)
  write(`iterations ${run.iterations}`)
  write(`requests ${all.samples}`)
  write(`rps ${(all.samples / durationS).toFixed(1)}`)
  write(`error_rate ${failed.rate(durationS).toFixed(4)}`)
  write(`p95_ms ${all.percentile(95).toFixed(2)}`)
  write(`p99_ms ${all.percentile(99).toFixed(2)}`)
  write(`thresholds_failed ${input.thresholds.filter((t) => !t.ok).length}`)
}

function table(
  title: string,
  rows: readonly [string, Aggregate, Aggregate | undefined][],
  durationS: number,
  write: (line: string) => void,
): void {
  const width = Math.max(title.length - 2, ...rows.map(([name]) => name.length))
  const heads = ['count', 'rate/s', 'avg', 'p50', 'p90', 'p95', 'p99', 'max', 'failed']
  write(`${title.padEnd(width + 2)}${heads.map((h) => h.padStart(10)).join('')}`)
  for (const [name, trend, failures] of rows) {
    const cells = [
      String(trend.samples),
      (trend.samples / durationS).toFixed(2),
      ...[trend.avg(), trend.percentile(50), trend.percentile(90), trend.percentile(95)].map((v) =>
        ms(v, trend.time),
      ),
      ms(trend.percentile(99), trend.time),
      ms(trend.max(), trend.time),
      failures ? percent(failures.rate(durationS)) : '',
    ]
    write(`  ${name.padEnd(width)}${cells.map((c) => c.padStart(10)).join('')}`)
  }
}

function scalar(aggregate: Aggregate, durationS: number): string {
  switch (aggregate.kind) {
    case 'counter':
      return `${aggregate.sum}  ${aggregate.rate(durationS).toFixed(2)}/s`
    case 'rate':
      return `${percent(aggregate.rate(durationS))}  (${aggregate.nonZero} of ${aggregate.samples})`
    default:
      return `${aggregate.last}  min ${aggregate.min()}  max ${aggregate.max()}`
  }
}

function formatValue(value: number, aggregate: Aggregate, expression: Expression): string {
  const name = expression.aggregation.name
  if (aggregate.kind === 'trend') return ms(value, aggregate.time)
  if (name === 'rate' && aggregate.kind === 'rate') return percent(value)
  if (name === 'rate') return `${value.toFixed(2)}/s`
  return String(value)
}

const dotted = (name: string) => `${name} `.padEnd(28, '.')
const percent = (share: number) => `${(100 * share).toFixed(2)}%`
const ms = (value: number, time: boolean) => (time ? `${value.toFixed(2)}ms` : value.toFixed(2))

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error)
}

export const vusText = (n: number) => `${n} VU${n === 1 ? '' : 's'}`
