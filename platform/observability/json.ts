/**
 * JSON as the repository's formatter (biome) writes it, so that `npm run format` leaves
 * the generated dashboards alone and the drift test keeps passing after it: two spaces,
 * every non-empty object expanded, an array of plain values on one line when that line
 * fits in 100 columns.
 */

const LINE_WIDTH = 100

export function formatJson(value: unknown): string {
  return `${print(value, 0, 0)}\n`
}

/** `taken`: the columns the line already holds before this value, `after`: what follows it. */
function print(value: unknown, indent: number, taken: number, after = 0): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    const flat = value.every((item) => item === null || typeof item !== 'object')
    if (flat) {
      const line = `[${value.map((item) => JSON.stringify(item)).join(', ')}]`
      if (taken + line.length + after <= LINE_WIDTH) return line
    }
    const inner = ' '.repeat(indent + 2)
    const items = value.map(
      (item, i) => inner + print(item, indent + 2, inner.length, i < value.length - 1 ? 1 : 0),
    )
    return `[\n${items.join(',\n')}\n${' '.repeat(indent)}]`
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    if (entries.length === 0) return '{}'
    const inner = ' '.repeat(indent + 2)
    const lines = entries.map(([key, v], i) => {
      const head = `${inner}${JSON.stringify(key)}: `
      return head + print(v, indent + 2, head.length, i < entries.length - 1 ? 1 : 0)
    })
    return `{\n${lines.join(',\n')}\n${' '.repeat(indent)}}`
  }
  return JSON.stringify(value)
}
