import { describe, expect, it } from 'vitest'
import { checkDashboard, checkRuleGroups } from './asset-check.ts'
import { dashboardJson } from './grafana.ts'
import { checkExpr, type Inventory } from './promql-check.ts'
import type { RuleGroup } from './rule-types.ts'

/**
 * The checker on a small inventory: what it accepts, and each way an expression can name
 * something nothing exports — each of these must fail, or the metrics test proves nothing.
 */

const labels = (...names: string[]) => new Set(names)
const INVENTORY: Inventory = new Map([
  ['http_requests_total', { labels: labels('function', 'route', 'status', 'pod') }],
  [
    'http_request_duration_seconds_bucket',
    { labels: labels('function', 'route', 'le'), le: labels('0.5', '1.0', '+Inf') },
  ],
  ['http_request_duration_seconds_count', { labels: labels('function', 'route') }],
  ['db_pool_max_connections', { labels: labels('function', 'pool') }],
  ['redis_up', { labels: labels('job', 'namespace') }],
])

const problems = (expr: string) => checkExpr(expr, INVENTORY).problems

describe('checkExpr', () => {
  it('accepts expressions whose metrics and labels exist, and infers the result labels', () => {
    const cases: [string, string[] | undefined][] = [
      ['sum by (function) (rate(http_requests_total{status=~"5.."}[5m]))', ['function']],
      [
        'histogram_quantile(0.99, sum by (function, le) (rate(http_request_duration_seconds_bucket{le!="x"}[5m])))',
        ['function'],
      ],
      [
        'sum by (function) (rate(http_request_duration_seconds_bucket{le="0.5"}[1h])) / on (function) sum by (function) (rate(http_request_duration_seconds_count[1h]))',
        ['function'],
      ],
      ['sum without (pod) (http_requests_total)', ['function', 'route', 'status']],
      ['max(redis_up{job="x"}) == 0 or absent(redis_up{job="x"})', ['job']],
      [
        'label_replace(db_pool_max_connections, "p", "$1", "pool", "(.*)")',
        ['function', 'p', 'pool'],
      ],
      ['count_values("v", db_pool_max_connections)', ['v']],
      ['time() - 1', undefined],
    ]
    for (const [expr, expected] of cases) {
      const result = checkExpr(expr, INVENTORY)
      expect(result.problems, expr).toEqual([])
      const got = result.labels instanceof Set ? [...result.labels].sort() : result.labels
      expect(got, expr).toEqual(expected)
    }
  })

  it('fails on a metric nothing exports', () => {
    expect(problems('rate(no_such_metric[5m])')).toEqual([
      'metric "no_such_metric": nothing exports it',
    ])
    // A histogram's parts are separate series: _sum is not exported here.
    expect(problems('http_request_duration_seconds_sum')).toEqual([
      'metric "http_request_duration_seconds_sum": nothing exports it',
    ])
  })

  it('fails on a label the metric does not have, wherever it is named', () => {
    const cases: [string, RegExp][] = [
      ['http_requests_total{tenant="a"}', /label "tenant" of http_requests_total/],
      ['sum by (tenant) (http_requests_total)', /label "tenant" in sum by/],
      ['sum without (tenant) (http_requests_total)', /label "tenant" in sum without/],
      // Dropped by the inner sum: the outer by() cannot find it.
      ['max by (route) (sum by (function) (http_requests_total))', /label "route" in max by/],
      ['http_requests_total / on (pool) db_pool_max_connections', /label "pool" in on\(…\), left/],
      [
        'http_requests_total * on (function) group_left (tenant) db_pool_max_connections',
        /label "tenant" in group_left/,
      ],
      ['histogram_quantile(0.9, sum by (function) (rate(http_requests_total[5m])))', /label "le"/],
      ['label_replace(http_requests_total, "a", "$1", "tenant", "(.*)")', /label "tenant" copied/],
    ]
    for (const [expr, message] of cases) {
      const found = problems(expr)
      expect(found, expr).toHaveLength(1)
      expect(found[0], expr).toMatch(message)
    }
  })

  it('fails on a bucket bound the histogram does not have (Prometheus 3 stores le="1" as "1.0")', () => {
    expect(problems('http_request_duration_seconds_bucket{le="1"}')).toEqual([
      'http_request_duration_seconds_bucket{le="1"}: no such bucket (it has {+Inf, 0.5, 1.0})',
    ])
    expect(problems('http_request_duration_seconds_bucket{le="1.0"}')).toEqual([])
  })

  it('fails on what does not parse, and on a selector without a metric name', () => {
    expect(problems('sum(rate(http_requests_total[5m])')[0]).toMatch(/does not parse/)
    expect(problems('rate(http_requests_total[$__rate_interval])')[0]).toMatch(/does not parse/)
    expect(problems('{route="a"}')[0]).toMatch(/must name its metric/)
  })
})

describe('checkRuleGroups', () => {
  const record = (name: string, expr: string) => ({ record: name, expr })

  it('adds each recording rule, with its labels, from its definition on', () => {
    const groups: RuleGroup[] = [
      {
        name: 'g',
        rules: [
          record('function:requests:rate5m', 'sum by (function) (rate(http_requests_total[5m]))'),
          {
            alert: 'Busy',
            expr: 'function:requests:rate5m > 10',
            labels: { severity: 'warning' },
            annotations: { summary: '{{ $labels.function }} is busy: {{ $value }}' },
          },
        ],
      },
    ]
    const { problems, inventory } = checkRuleGroups(groups, INVENTORY)
    expect(problems).toEqual([])
    expect([...(inventory.get('function:requests:rate5m')?.labels ?? [])]).toEqual(['function'])
  })

  it('fails on a recording rule read before it is defined', () => {
    const groups: RuleGroup[] = [
      { name: 'first', rules: [record('job:uses:later', 'function:requests:rate5m * 2')] },
      {
        name: 'second',
        rules: [
          record('function:requests:rate5m', 'sum by (function) (rate(http_requests_total[5m]))'),
        ],
      },
    ]
    expect(checkRuleGroups(groups, INVENTORY).problems).toEqual([
      {
        where: 'rule first/job:uses:later',
        message: 'recording rule "function:requests:rate5m" is read before it is defined',
      },
    ])
  })

  it('fails on a label a recording rule dropped, on $labels the alert lacks, and on a clash', () => {
    const groups: RuleGroup[] = [
      {
        name: 'g',
        rules: [
          record('function:requests:rate5m', 'sum by (function) (rate(http_requests_total[5m]))'),
          record('route:requests:max', 'max by (route) (function:requests:rate5m)'),
          record('redis_up', 'vector(1)'),
          {
            alert: 'Busy',
            expr: 'function:requests:rate5m > 10',
            labels: { severity: 'warning' },
            annotations: { summary: '{{ $labels.route }} is busy' },
          },
        ],
      },
    ]
    expect(checkRuleGroups(groups, INVENTORY).problems.map((p) => p.message)).toEqual([
      'label "route" in max by: not among {function}',
      'records "redis_up", a name already exported',
      "$labels.route: the alert's series have no such label",
    ])
  })
})

describe('checkDashboard', () => {
  const board = (
    expr: string,
    legend = '{{function}}',
    variable = 'label_values(http_requests_total, function)',
  ) =>
    dashboardJson({
      uid: 'u',
      title: 'T',
      description: 'd',
      variables: [{ name: 'function', label: 'F', query: variable }],
      rows: [{ title: 'r', panels: [{ title: 'p', targets: [{ expr, legend }] }] }],
    })

  it('accepts a panel on exported series, with Grafana variables in it', () => {
    const expr =
      'sum by (function) (rate(http_requests_total{function=~"$function"}[$__rate_interval]))'
    expect(checkDashboard(board(expr), INVENTORY)).toEqual([])
  })

  it('fails on a panel naming no_such_metric', () => {
    expect(
      checkDashboard(board('sum(rate(no_such_metric[$__rate_interval]))', 'x'), INVENTORY),
    ).toEqual([
      {
        where: 'dashboard "T" panel "p" A',
        message: 'metric "no_such_metric": nothing exports it',
      },
    ])
  })

  it('fails on a label that does not exist: in the query, the legend, the variable', () => {
    const found = (expr: string, legend?: string, variable?: string) =>
      checkDashboard(board(expr, legend, variable), INVENTORY).map((p) => p.message)
    expect(found('sum by (tenant) (http_requests_total)', 'x')).toEqual([
      'label "tenant" in sum by: not among {function, pod, route, status}',
    ])
    expect(found('sum by (function) (http_requests_total)', '{{route}}')).toEqual([
      'legend {{route}}: the series have no such label',
    ])
    expect(
      found('sum(http_requests_total)', 'x', 'label_values(http_requests_total, tenant)'),
    ).toEqual(['label "tenant": not a label of http_requests_total'])
  })
})
