import type { Inventory, MetricInfo } from '#platform/observability/promql-check.ts'
import { bucketBound } from '#platform/observability/series.ts'

/**
 * The Prometheus text exposition format (version 0.0.4), parsed strictly: a line that is
 * neither a comment nor a well-formed sample throws, naming the line, so a malformed
 * /metrics fails the test rather than being skipped.
 */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = []
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '' || line.startsWith('#')) return
    try {
      samples.push(parseSample(line))
    } catch (error) {
      throw new Error(`line ${index + 1} ${JSON.stringify(line)}: ${(error as Error).message}`)
    }
  })
  return samples
}

function parseSample(line: string): Sample {
  const name = NAME.exec(line)?.[0]
  if (!name) throw new Error('no metric name')
  let rest = line.slice(name.length)
  const labels: Record<string, string> = {}
  if (rest.startsWith('{')) {
    rest = rest.slice(1)
    while (!rest.startsWith('}')) {
      const label = LABEL.exec(rest)?.[0]
      if (!label) throw new Error('bad label name')
      rest = rest.slice(label.length)
      if (!rest.startsWith('="')) throw new Error(`label ${label}: expected ="`)
      rest = rest.slice(2)
      let value = ''
      for (;;) {
        const char = rest[0]
        if (char === undefined) throw new Error(`label ${label}: unterminated value`)
        rest = rest.slice(1)
        if (char === '"') break
        if (char === '\\') {
          const escaped = rest[0]
          rest = rest.slice(1)
          if (escaped === 'n') value += '\n'
          else if (escaped === '\\' || escaped === '"') value += escaped
          else throw new Error(`label ${label}: bad escape \\${escaped}`)
        } else value += char
      }
      if (label in labels) throw new Error(`label ${label} twice`)
      labels[label] = value
      if (rest.startsWith(',')) rest = rest.slice(1)
      else if (!rest.startsWith('}')) throw new Error(`after label ${label}: expected , or }`)
    }
    rest = rest.slice(1)
  }
  const [valueText, timestamp, ...extra] = rest.trim().split(/\s+/)
  if (!rest.startsWith(' ') || valueText === undefined || extra.length > 0) {
    throw new Error('expected " <value> [timestamp]"')
  }
  const value = parseValue(valueText)
  if (timestamp !== undefined && !/^-?\d+$/.test(timestamp)) throw new Error('bad timestamp')
  return { name, labels, value }
}

/**
 * A sample value as Prometheus reads it (Go's strconv.ParseFloat, which takes NaN and Inf
 * in any case: prom-client writes an event loop lag with no data yet as `Nan`).
 */
function parseValue(text: string): number {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text)
  if (special) {
    if (special[2]?.toLowerCase() === 'nan') return Number.NaN
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  }
  const value = Number(text)
  if (text === '' || Number.isNaN(value)) throw new Error(`bad value ${text}`)
  return value
}

/**
 * What a set of samples exports, as the checker reads it: each series name with the union
 * of its label names, and a bucket's `le` values as Prometheus 3 stores them.
 */
export function inventoryOf(samples: readonly Sample[]): Inventory {
  const labels = new Map<string, Set<string>>()
  const bounds = new Map<string, Set<string>>()
  for (const sample of samples) {
    const names = labels.get(sample.name) ?? new Set<string>()
    for (const label of Object.keys(sample.labels)) names.add(label)
    labels.set(sample.name, names)
    const le = sample.labels.le
    if (le !== undefined && sample.name.endsWith('_bucket')) {
      const set = bounds.get(sample.name) ?? new Set<string>()
      set.add(le === '+Inf' ? le : bucketBound(Number(le)))
      bounds.set(sample.name, set)
    }
  }
  const inventory = new Map<string, MetricInfo>()
  for (const [name, names] of labels) {
    const le = bounds.get(name)
    inventory.set(name, le ? { labels: names, le } : { labels: names })
  }
  return inventory
}
