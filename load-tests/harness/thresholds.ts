import type { MetricKind } from '../lib/metrics.ts'
import type { Aggregate, Tags } from './metric-store.ts'

/**
 * k6's threshold language, as far as the scenarios use it and k6 defines it: a metric
 * selector `name{tag:value,…}` and expressions `<aggregation> <operator> <number>` —
 * `p(95)<500`, `rate<0.01`, `count>0`, `avg<=200`, `rate==1`. The parser refuses what k6
 * would (an unknown aggregation, a percentile outside 0–100, an aggregation the metric's
 * kind has not got), so a threshold cannot mean one thing to k6 and another here.
 */

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!='

export type Aggregation =
  | { name: 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate' | 'value' }
  | { name: 'p'; p: number }

export interface Expression {
  source: string
  aggregation: Aggregation
  operator: Operator
  value: number
}

export interface Selector {
  metric: string
  tags: Tags
}

export class ThresholdError extends Error {
  override name = 'ThresholdError'
}

const EXPRESSION =
  /^\s*(avg|min|max|med|count|rate|value|p\(\s*([0-9]+(?:\.[0-9]+)?)\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*$/

export function parseExpression(source: string): Expression {
  const match = EXPRESSION.exec(source)
  if (!match) {
    throw new ThresholdError(
      `not a threshold expression: '${source}' (write <aggregation> <operator> <number>, e.g. p(95)<500)`,
    )
  }
  const [, name, percentile, operator, value] = match as unknown as [
    string,
    string,
    string | undefined,
    Operator,
    string,
  ]
  let aggregation: Aggregation
  if (percentile === undefined) {
    aggregation = { name: name as Exclude<Aggregation['name'], 'p'> }
  } else {
    const p = Number(percentile)
    if (p > 100) throw new ThresholdError(`'${source}': a percentile lies between 0 and 100`)
    aggregation = { name: 'p', p }
  }
  return { source, aggregation, operator, value: Number(value) }
}

/** The aggregations each kind of metric has (k6: trend, rate, counter, gauge). */
const AGGREGATIONS: Readonly<Record<MetricKind, readonly Aggregation['name'][]>> = {
  trend: ['avg', 'min', 'max', 'med', 'p'],
  rate: ['rate'],
  counter: ['count', 'rate'],
  gauge: ['value'],
}

export function assertApplies(expression: Expression, metric: string, kind: MetricKind): void {
  if (!AGGREGATIONS[kind].includes(expression.aggregation.name)) {
    throw new ThresholdError(
      `'${expression.source}' on ${metric}: a ${kind} has ${AGGREGATIONS[kind]
        .map((a) => (a === 'p' ? 'p(N)' : a))
        .join(', ')}`,
    )
  }
}

/** `http_req_duration{route:POST /v1/orgs,status:201}` → metric and tags (k6's rules). */
export function parseSelector(source: string): Selector {
  const open = source.indexOf('{')
  const close = source.lastIndexOf('}')
  if (open === -1 && close === -1) return { metric: source.trim(), tags: {} }
  if (open === -1 || close === -1 || close < open || close !== source.length - 1) {
    throw new ThresholdError(`'${source}': unmatched braces in a metric selector`)
  }
  const metric = source.slice(0, open).trim()
  const tags: Record<string, string> = {}
  for (const pair of source.slice(open + 1, close).split(',')) {
    if (pair.trim() === '') continue
    const colon = pair.indexOf(':')
    if (colon === -1) throw new ThresholdError(`'${source}': a tag is written key:value`)
    const unquote = (s: string) => s.trim().replace(/^["']|["']$/g, '')
    tags[unquote(pair.slice(0, colon))] = unquote(pair.slice(colon + 1))
  }
  if (metric === '') throw new ThresholdError(`'${source}': no metric name`)
  return { metric, tags }
}

/** The aggregation's value over `aggregate` (`durationS`: the run, for a counter's rate). */
export function measure(expression: Expression, aggregate: Aggregate, durationS: number): number {
  const { aggregation } = expression
  switch (aggregation.name) {
    case 'p':
      return aggregate.percentile(aggregation.p)
    case 'med':
      return aggregate.percentile(50)
    case 'avg':
      return aggregate.avg()
    case 'min':
      return aggregate.min()
    case 'max':
      return aggregate.max()
    case 'count':
      return aggregate.count
    case 'rate':
      return aggregate.rate(durationS)
    case 'value':
      return aggregate.last
  }
}

export function holds(expression: Expression, actual: number): boolean {
  const { operator, value } = expression
  switch (operator) {
    case '<':
      return actual < value
    case '<=':
      return actual <= value
    case '>':
      return actual > value
    case '>=':
      return actual >= value
    case '==':
    case '===':
      return actual === value
    case '!=':
      return actual !== value
  }
}
