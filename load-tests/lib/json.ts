/** Narrowing helpers for answers read as `unknown`. */

export type Json = Record<string, unknown>

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A string field, or undefined. */
export function text(value: unknown, key: string): string | undefined {
  const field = isRecord(value) ? value[key] : undefined
  return typeof field === 'string' ? field : undefined
}

/** A numeric field, or undefined. */
export function num(value: unknown, key: string): number | undefined {
  const field = isRecord(value) ? value[key] : undefined
  return typeof field === 'number' ? field : undefined
}

/** The `items` of a list answer (`{ items, next_cursor }`), or an empty list. */
export function items(value: unknown): Json[] {
  const list = isRecord(value) ? value.items : undefined
  return Array.isArray(list) ? list.filter(isRecord) : []
}

/** A body parsed as JSON, or undefined when it is empty or not JSON. */
export function parseJson(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

let sequence = 0

/** An id unique enough for names and Idempotency-Keys (lib/ has no crypto). */
export function uniqueId(prefix: string): string {
  sequence += 1
  const random = Math.floor(Math.random() * 2 ** 32).toString(36)
  return `${prefix}-${Date.now().toString(36)}-${sequence.toString(36)}-${random}`
}
