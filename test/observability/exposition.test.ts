import { describe, expect, it } from 'vitest'
import { inventoryOf, parseExposition } from './exposition.ts'

/** The exposition parser the metrics test reads /metrics with: strict, and as Prometheus reads. */

describe('parseExposition', () => {
  it('reads samples, labels with escapes, special values and timestamps; skips comments', () => {
    const text = [
      '# HELP http_requests_total Requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="GET",route="/v1/orgs",status="200"} 3',
      'odd{path="a\\"b\\\\c\\nd"} 1 1700000000000',
      'lag_seconds Nan',
      'h_bucket{le="+Inf"} +Inf',
      '',
    ].join('\n')
    expect(parseExposition(text)).toEqual([
      {
        name: 'http_requests_total',
        labels: { method: 'GET', route: '/v1/orgs', status: '200' },
        value: 3,
      },
      { name: 'odd', labels: { path: 'a"b\\c\nd' }, value: 1 },
      { name: 'lag_seconds', labels: {}, value: Number.NaN },
      { name: 'h_bucket', labels: { le: '+Inf' }, value: Number.POSITIVE_INFINITY },
    ])
  })

  it.each([
    ['no value', 'up'],
    ['a bad value', 'up one'],
    ['an unterminated label value', 'up{a="b} 1'],
    ['a label without a value', 'up{a} 1'],
    ['a repeated label', 'up{a="1",a="2"} 1'],
    ['a bad escape', 'up{a="\\t"} 1'],
    ['trailing garbage', 'up 1 2 3'],
    ['no metric name', '{a="b"} 1'],
  ])('throws on %s, naming the line', (_label, line) => {
    expect(() => parseExposition(`ok 1\n${line}\n`)).toThrow(/^line 2 /)
  })
})

describe('inventoryOf', () => {
  it('unions label names per series name and keeps bucket bounds as Prometheus 3 stores them', () => {
    const inventory = inventoryOf(
      parseExposition(
        [
          'h_bucket{route="a",le="0.5"} 1',
          'h_bucket{route="a",le="1"} 2',
          'h_bucket{route="b",le="+Inf"} 2',
          'h_count{route="a"} 2',
          'g{pool="main"} 1',
          'g{other="x"} 1',
        ].join('\n'),
      ),
    )
    expect([...inventory.keys()]).toEqual(['h_bucket', 'h_count', 'g'])
    expect(inventory.get('h_bucket')).toEqual({
      labels: new Set(['route', 'le']),
      le: new Set(['0.5', '1.0', '+Inf']),
    })
    expect(inventory.get('g')?.labels).toEqual(new Set(['pool', 'other']))
  })
})
