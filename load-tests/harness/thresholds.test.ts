import { describe, expect, it } from 'vitest'
import { API_ERROR_BUDGET, SLO } from '../../platform/slo.ts'
import { API_JOURNEY_ROUTES } from '../lib/api-journey.ts'
import { ROUTES } from '../lib/routes.ts'
import { SCENARIO_NAMES, SCENARIOS } from '../lib/scenarios.ts'
import { type Aggregate, MetricStore } from './metric-store.ts'
import { declareMetrics } from './runner.ts'
import { compileThresholds, evaluateThresholds } from './summary.ts'
import {
  assertApplies,
  holds,
  measure,
  parseExpression,
  parseSelector,
  ThresholdError,
} from './thresholds.ts'

describe('threshold expressions', () => {
  it('reads aggregation, operator and number', () => {
    expect(parseExpression('p(95)<500')).toMatchObject({
      aggregation: { name: 'p', p: 95 },
      operator: '<',
      value: 500,
    })
    expect(parseExpression(' p( 99.9 ) <= 1e3 ')).toMatchObject({
      aggregation: { name: 'p', p: 99.9 },
      operator: '<=',
      value: 1000,
    })
    expect(parseExpression('rate<0.01')).toMatchObject({
      aggregation: { name: 'rate' },
      value: 0.01,
    })
    expect(parseExpression('count>0')).toMatchObject({
      aggregation: { name: 'count' },
      operator: '>',
    })
    expect(parseExpression('rate==1').operator).toBe('==')
    expect(parseExpression('avg === -2.5')).toMatchObject({ operator: '===', value: -2.5 })
    expect(parseExpression('med!=.5')).toMatchObject({ aggregation: { name: 'med' }, value: 0.5 })
    expect(parseExpression('max>=10').operator).toBe('>=')
    expect(parseExpression('value>3').aggregation.name).toBe('value')
  })

  it('refuses anything else', () => {
    for (const bad of [
      '',
      'p95<500',
      'p(95)',
      'p(101)<5',
      'p()<5',
      'rate<',
      'rate<<1',
      'rate=1',
      'rate<0.01 and count>1',
      'median<3',
      '500>p(95)',
      'rate<1%',
    ]) {
      expect(() => parseExpression(bad), bad).toThrow(ThresholdError)
    }
  })

  it('knows which aggregations each kind of metric has', () => {
    assertApplies(parseExpression('p(95)<1'), 'm', 'trend')
    assertApplies(parseExpression('count>0'), 'm', 'counter')
    assertApplies(parseExpression('rate>1'), 'm', 'counter')
    assertApplies(parseExpression('rate<0.1'), 'm', 'rate')
    assertApplies(parseExpression('value<3'), 'm', 'gauge')
    expect(() => assertApplies(parseExpression('p(95)<1'), 'm', 'rate')).toThrow(/a rate has rate/)
    expect(() => assertApplies(parseExpression('count>0'), 'm', 'trend')).toThrow(ThresholdError)
    expect(() => assertApplies(parseExpression('avg<1'), 'm', 'counter')).toThrow(ThresholdError)
  })
})

describe('metric selectors', () => {
  it('reads a metric and its tags as k6 does', () => {
    expect(parseSelector('http_req_failed')).toEqual({ metric: 'http_req_failed', tags: {} })
    expect(parseSelector('http_req_duration{route:POST /v1/orgs/:orgId/projects}')).toEqual({
      metric: 'http_req_duration',
      tags: { route: 'POST /v1/orgs/:orgId/projects' },
    })
    expect(parseSelector("m{ route : 'GET /v1/orgs' , status:200,}")).toEqual({
      metric: 'm',
      tags: { route: 'GET /v1/orgs', status: '200' },
    })
  })

  it('refuses unmatched braces and tags without a value', () => {
    for (const bad of ['m{route:x', 'm}', 'm}{', 'm{route:x}y', '{route:x}', 'm{route}']) {
      expect(() => parseSelector(bad), bad).toThrow(ThresholdError)
    }
  })
})

describe('evaluation', () => {
  const store = new MetricStore()
  declareMetrics(store)
  for (let ms = 1; ms <= 100; ms++)
    store.add('http_req_duration', ms, { route: 'a', status: '200' })
  store.add('http_req_duration', 1_000, { route: 'b', status: '500' })
  for (let i = 0; i < 99; i++) store.add('http_req_failed', 0, { route: 'a' })
  store.add('http_req_failed', 1, { route: 'b' })
  store.add('http_reqs', 101)
  const value = (expression: string, selector = 'http_req_duration', durationS = 10) => {
    const { metric, tags } = parseSelector(selector)
    return measure(
      parseExpression(expression),
      store.aggregate(metric, tags) as Aggregate,
      durationS,
    )
  }

  it('interpolates percentiles between ranks, as k6 does', () => {
    expect(value('p(95)<0', 'http_req_duration{route:a}')).toBeCloseTo(95.05, 10)
    expect(value('p(50)<0', 'http_req_duration{route:a}')).toBeCloseTo(50.5, 10)
    expect(value('med<0', 'http_req_duration{route:a}')).toBeCloseTo(50.5, 10)
    expect(value('p(100)<0', 'http_req_duration{route:a}')).toBe(100)
    expect(value('p(0)<0', 'http_req_duration{route:a}')).toBe(1)
    expect(value('max<0')).toBe(1_000)
    expect(value('min<0')).toBe(1)
    expect(value('avg<0', 'http_req_duration{route:b}')).toBe(1_000)
  })

  it('merges every series a selector matches, and nothing else', () => {
    expect(value('p(100)<0', 'http_req_duration{status:500}')).toBe(1_000)
    expect(value('avg<0')).toBeCloseTo((5_050 + 1_000) / 101, 10)
    expect(value('avg<0', 'http_req_duration{route:c}')).toBe(0)
  })

  it('reads rates as shares and counters per second', () => {
    expect(value('rate<0', 'http_req_failed')).toBe(0.01)
    expect(value('rate<0', 'http_req_failed{route:a}')).toBe(0)
    expect(value('count>0', 'http_reqs')).toBe(101)
    expect(value('rate>0', 'http_reqs', 10)).toBe(10.1)
  })

  it('compares at the boundary as the operator says', () => {
    const at = (expression: string, actual: number) => holds(parseExpression(expression), actual)
    expect(at('p(95)<500', 499.99)).toBe(true)
    expect(at('p(95)<500', 500)).toBe(false)
    expect(at('p(95)<=500', 500)).toBe(true)
    expect(at('count>0', 0)).toBe(false)
    expect(at('count>=0', 0)).toBe(true)
    expect(at('rate==1', 1)).toBe(true)
    expect(at('rate==1', 0.999)).toBe(false)
    expect(at('rate!=1', 0.999)).toBe(true)
  })

  it('judges a run: the error budget fails at 1 % and holds below it', () => {
    const compiled = compileThresholds(
      { http_req_failed: ['rate<0.01'], 'http_req_duration{route:a}': ['p(95)<500'] },
      store,
    )
    expect(evaluateThresholds(compiled, store, 10)).toEqual([
      { selector: 'http_req_failed', expression: 'rate<0.01', ok: false, shown: 'rate=1.00%' },
      {
        selector: 'http_req_duration{route:a}',
        expression: 'p(95)<500',
        ok: true,
        shown: 'p(95)=95.05ms',
      },
    ])
  })
})

describe("the scenarios' thresholds", () => {
  it('are valid for the harness (and so for k6) in every scenario', () => {
    const store = new MetricStore()
    declareMetrics(store)
    for (const name of SCENARIO_NAMES) {
      expect(() => compileThresholds(SCENARIOS[name].thresholds, store), name).not.toThrow()
    }
  })

  it('come from the SLOs: error budget, availability and latency on every route', () => {
    const { thresholds } = SCENARIOS.load
    const latency = [`p(95)<${SLO.api.latency.p95Ms}`, `p(99)<${SLO.api.latency.p99Ms}`]
    expect(thresholds.http_req_failed).toEqual([`rate<${Number(API_ERROR_BUDGET.toFixed(6))}`])
    expect(thresholds.http_req_failed).toEqual(['rate<0.01'])
    expect(thresholds.checks).toEqual([`rate>=${SLO.api.availability}`])
    expect(thresholds.http_req_duration).toEqual(latency)
    for (const route of API_JOURNEY_ROUTES) {
      expect(thresholds[`http_req_duration{route:${route}}`], route).toEqual(latency)
    }
    expect(thresholds[`http_req_duration{route:${ROUTES.createOrg}}`]).toEqual(latency)
    expect(SCENARIOS.chat.thresholds.chat_reply_duration).toEqual([`p(99)<${SLO.chat.fanoutP99Ms}`])
    expect(SCENARIOS.config.thresholds.config_propagation).toEqual([
      `p(99)<${SLO.config.propagationP99Ms}`,
    ])
  })
})
