/**
 * k6's duration strings ('250ms', '30s', '1m30s', '2h') to milliseconds and back, so that
 * the stages written once for k6 are read the same way by the Node harness and by
 * `npm run load -- … --duration 90s`.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g

/** Milliseconds of a duration string; throws on anything else (a bare number included). */
export function parseDuration(text: string): number {
  const trimmed = text.trim()
  let total = 0
  let consumed = 0
  PART.lastIndex = 0
  for (let match = PART.exec(trimmed); match; match = PART.exec(trimmed)) {
    if (match.index !== consumed) break
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number)
    consumed += match[0].length
  }
  if (trimmed === '' || consumed !== trimmed.length) {
    throw new Error(`not a duration: '${text}' (write e.g. 500ms, 30s, 1m30s, 2h)`)
  }
  return Math.round(total)
}

/** The shortest string parseDuration reads back as `ms` (whole milliseconds). */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms))
  if (rest === 0) return '0s'
  let text = ''
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`
      rest %= size
    }
  }
  return rest > 0 ? `${text}${rest}ms` : text
}
