import type * as v from 'valibot'

/**
 * Messages for valibot issues, in the project's own voice ("must be a string", "must be
 * at most 100 characters") and never repeating the input: valibot's defaults quote the
 * received value ("Expected string but received \"hunter2\""), which must not reach a
 * response or a log. Pass as `message` in the parse config: a message a schema sets
 * itself still wins, and those are written by us, not derived from input.
 *
 * A message depends only on the kind of mistake and on what the schema allows (its
 * types, literals, bounds), never on the value or on where it sits, so the same mistake
 * reads the same at the body's root and deep inside it. The location says where.
 */
export function safeIssueMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.input === undefined) return 'is required'
  if (issue.kind === 'schema') return schemaMessage(issue)
  return RULES[issue.type]?.(issue.requirement, issue.input) ?? INVALID
}

/** `['body', 'members', 0, 'role']` → `body.members.0.role`. */
export function issueLocation(root: string, issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((item) => String(item.key))
  return [root, ...keys].join('.')
}

const INVALID = 'is not valid'

// Schema issues: the value has the wrong type or is not one of the allowed values -------

/**
 * From the issue's `expected`, which valibot builds from the schema alone (`"Object"`,
 * `"(\"member\" | \"admin\")"`, `"(string | null)"`); `received` would be the input.
 */
function schemaMessage(issue: v.BaseIssue<unknown>): string {
  const expected = issue.expected ?? ''
  // A key a strict object does not know, an item past a strict tuple's end, v.never().
  if (expected === 'never') return 'is not allowed'
  // non_nullable, non_nullish (undefined was "is required" already)
  if (expected === '!null' || expected === '(!null & !undefined)') return 'must not be null'
  if (issue.type === 'union' && issue.issues?.length) return unionMessage(issue.issues, expected)
  const options = alternatives(expected)
  return options === undefined ? INVALID : mustBe(options)
}

/**
 * Every option refused the value: when each refused its type, say which types and values
 * are allowed (the same words as a picklist of them); when each refused a rule, join what
 * the rules ask for; when some accepted the type and failed inside, no one message fits.
 */
function unionMessage(issues: readonly v.BaseIssue<unknown>[], expected: string): string {
  if (issues.some((sub) => sub.path?.length)) return 'must match one of the allowed forms'
  if (issues.every((sub) => sub.kind === 'schema')) {
    const options = alternatives(expected)
    return options === undefined ? INVALID : mustBe(options)
  }
  // Each one's own message: a schema-set one, else ours.
  const asked = [...new Set(issues.map((sub) => sub.message))]
  if (!asked.every((message) => message.startsWith('must be '))) {
    return 'must match one of the allowed forms'
  }
  return `must be ${joinOr(asked.map((message) => message.slice('must be '.length)))}`
}

interface Alternative {
  /** A literal value (`'admin'`, `3`, `true`, `null`) rather than a type (`a string`). */
  value: boolean
  text: string
}

const TYPES: Record<string, string> = {
  Object: 'an object',
  Array: 'an array',
  string: 'a string',
  number: 'a number',
  bigint: 'an integer',
  Date: 'a date',
}

/** `(string | "a" | (boolean | null))` → a string, 'a', true, false, null. */
function alternatives(expected: string): Alternative[] | undefined {
  const parts = splitUnion(expected)
  if (parts === undefined) return undefined
  if (parts.length > 1) {
    const nested = parts.map(alternatives)
    if (nested.some((list) => list === undefined)) return undefined
    const seen = new Set<string>()
    return nested.flat().filter((option) => {
      if (!option || seen.has(option.text)) return false
      seen.add(option.text)
      return true
    }) as Alternative[]
  }
  const atom = parts[0] ?? ''
  if (atom.length >= 2 && atom.startsWith('"') && atom.endsWith('"')) {
    return [{ value: true, text: `'${atom.slice(1, -1)}'` }]
  }
  if (['true', 'false', 'null'].includes(atom) || /^-?\d/.test(atom)) {
    return [{ value: true, text: atom }]
  }
  if (atom === 'boolean') {
    return [
      { value: true, text: 'true' },
      { value: true, text: 'false' },
    ]
  }
  // An optional's undefined: "is required" covers it.
  if (atom === 'undefined' || atom === 'void') return []
  const type = TYPES[atom]
  return type === undefined ? undefined : [{ value: false, text: type }]
}

/**
 * Splits `a | (b | c) | "x | y"` at its top-level bars, unwrapping one pair of outer
 * parentheses; undefined for an intersection (`a & b`), which has no short description.
 */
function splitUnion(expected: string): string[] | undefined {
  let text = expected
  if (text.startsWith('(') && closingParen(text) === text.length - 1) text = text.slice(1, -1)
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === '"') {
      if (!quoted) quoted = true
      else if (closesQuote(text, i + 1)) quoted = false
    } else if (quoted) {
      // inside a literal: nothing is syntax
    } else if (char === '(') depth++
    else if (char === ')') depth--
    else if (depth === 0 && text.startsWith(' & ', i)) return undefined
    else if (depth === 0 && text.startsWith(' | ', i)) {
      parts.push(text.slice(start, i))
      start = i + 3
      i += 2
    }
  }
  parts.push(text.slice(start))
  return parts
}

/** A quote ends a literal where valibot's syntax resumes after it. */
function closesQuote(text: string, at: number): boolean {
  return (
    at === text.length ||
    text[at] === ')' ||
    text.startsWith(' | ', at) ||
    text.startsWith(' & ', at)
  )
}

/** The index of the parenthesis closing the one `text` starts with. */
function closingParen(text: string): number {
  let depth = 0
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === '"') {
      if (!quoted) quoted = true
      else if (closesQuote(text, i + 1)) quoted = false
    } else if (quoted) {
      // inside a literal
    } else if (char === '(') depth++
    else if (char === ')' && --depth === 0) return i
  }
  return -1
}

/** "must be a string", "must be true or false", "must be one of 'a', 'b', 'c'". */
function mustBe(options: Alternative[]): string {
  if (options.length === 0) return INVALID
  const texts = options.map((option) => option.text)
  if (options.length > 2 && options.every((option) => option.value)) {
    return `must be one of ${texts.join(', ')}`
  }
  return `must be ${joinOr(texts)}`
}

/** a → a; a, b → a or b; a, b, c → a, b or c. */
function joinOr(texts: readonly string[]): string {
  if (texts.length <= 1) return texts.join('')
  return `${texts.slice(0, -1).join(', ')} or ${texts.at(-1)}`
}

// Validation and transformation issues: the value has the right type, breaks a rule ---

type Rule = (requirement: unknown, input: unknown) => string | undefined

const plural = (n: unknown, unit: string) =>
  n === 1 ? `1 ${unit}` : `${n} ${unit === 'entry' ? 'entries' : `${unit}s`}`

/** Lists (arrays, sets, maps) count items, blobs bytes. */
const unitOf = (input: unknown) => (input instanceof Blob ? 'byte' : 'item')

type Bound = 'at least' | 'at most' | 'exactly' | 'not'
const BOUNDS: [prefix: string, bound: Bound][] = [
  ['min_', 'at least'],
  ['max_', 'at most'],
  ['', 'exactly'],
  ['not_', 'not'],
]

/**
 * `min_X`, `max_X`, `X` and `not_X` of one measure: "must be at least 3 characters",
 * "must have at most 2 items", "must not be 4 bytes".
 */
function measure(
  name: string,
  count: (n: unknown, input: unknown) => [verb: 'be' | 'have', count: string],
): [string, Rule][] {
  return BOUNDS.map(([prefix, bound]) => [
    `${prefix}${name}`,
    (n, input) => {
      const [verb, counted] = count(n, input)
      return bound === 'not' ? `must not ${verb} ${counted}` : `must ${verb} ${bound} ${counted}`
    },
  ])
}

/** Strings are "3 characters" long; lists "have 3 items". */
const lengthOf = (n: unknown, input: unknown): ['be' | 'have', string] =>
  typeof input === 'string' ? ['be', plural(n, 'character')] : ['have', plural(n, unitOf(input))]

/** A value from the schema as the messages write it: `'admin'`, `3`, a date's ISO form. */
function show(value: unknown): string | undefined {
  if (typeof value === 'string') return `'${value}'`
  if (value instanceof Date) return value.toJSON()
  if (['number', 'bigint', 'boolean'].includes(typeof value) || value === null) {
    return String(value)
  }
  return undefined
}

const compare =
  (words: string): Rule =>
  (requirement) => {
    const shown = show(requirement)
    return shown === undefined ? undefined : `${words} ${shown}`
  }

function valuesList(requirement: unknown): Alternative[] | undefined {
  if (!Array.isArray(requirement)) return undefined
  const shown = requirement.map(show)
  if (shown.some((text) => text === undefined)) return undefined
  return shown.map((text) => ({ value: true, text: text as string }))
}

const fixed =
  (message: string): Rule =>
  () =>
    message

const RULES: Record<string, Rule> = {
  ...Object.fromEntries([
    ...measure('length', lengthOf),
    ...measure('graphemes', lengthOf),
    ...measure('code_points', lengthOf),
    ...measure('size', lengthOf),
    ...measure('bytes', (n) => ['be', plural(n, 'byte')]),
    ...measure('words', (n) => ['have', plural(n, 'word')]),
    ...measure('entries', (n) => ['have', plural(n, 'entry')]),
  ]),
  empty: fixed('must be empty'),
  non_empty: fixed('must not be empty'),
  min_value: compare('must be at least'),
  max_value: compare('must be at most'),
  gt_value: compare('must be greater than'),
  lt_value: compare('must be less than'),
  value: compare('must be'),
  not_value: compare('must not be'),
  values: (requirement) => {
    const options = valuesList(requirement)
    return options === undefined ? undefined : mustBe(options)
  },
  not_values: (requirement) => {
    const options = valuesList(requirement)
    return options === undefined
      ? undefined
      : `must not be ${options.length > 2 ? 'one of ' : ''}${joinOr(options.map((o) => o.text))}`
  },
  multiple_of: compare('must be a multiple of'),
  integer: fixed('must be an integer'),
  safe_integer: fixed('must be a safe integer'),
  finite: fixed('must be a finite number'),
  regex: fixed('must be in the expected format'),
  starts_with: compare('must start with'),
  ends_with: compare('must end with'),
  includes: compare('must include'),
  excludes: compare('must not include'),
  email: fixed('must be an email address'),
  rfc_email: fixed('must be an email address'),
  url: fixed('must be a URL'),
  domain: fixed('must be a domain name'),
  uuid: fixed('must be a UUID'),
  ulid: fixed('must be a ULID'),
  nanoid: fixed('must be a Nano ID'),
  cuid2: fixed('must be a CUID2'),
  ksuid: fixed('must be a KSUID'),
  ip: fixed('must be an IP address'),
  ipv4: fixed('must be an IPv4 address'),
  ipv6: fixed('must be an IPv6 address'),
  mac: fixed('must be a MAC address'),
  mac48: fixed('must be a 48-bit MAC address'),
  mac64: fixed('must be a 64-bit MAC address'),
  iso_date: fixed('must be a date (YYYY-MM-DD)'),
  iso_date_time: fixed('must be a date and time (YYYY-MM-DDThh:mm)'),
  iso_date_time_second: fixed('must be a date and time (YYYY-MM-DDThh:mm:ss)'),
  iso_time: fixed('must be a time (hh:mm)'),
  iso_time_second: fixed('must be a time (hh:mm:ss)'),
  iso_timestamp: fixed('must be an ISO 8601 timestamp'),
  iso_week: fixed('must be a week (YYYY-Www)'),
  base64: fixed('must be Base64'),
  hexadecimal: fixed('must be hexadecimal'),
  hex_color: fixed('must be a hex color'),
  digits: fixed('must contain only digits'),
  decimal: fixed('must be a decimal number'),
  octal: fixed('must be an octal number'),
  slug: fixed('must be a slug'),
  emoji: fixed('must be emoji'),
  hash: fixed('must be a hash'),
  jws_compact: fixed('must be a compact JWS'),
  bic: fixed('must be a BIC'),
  imei: fixed('must be an IMEI'),
  isbn: fixed('must be an ISBN'),
  isrc: fixed('must be an ISRC'),
  credit_card: fixed('must be a card number'),
  mime_type: (requirement) => {
    const options = valuesList(requirement)
    return options === undefined
      ? undefined
      : `must be of type ${joinOr(options.map((o) => o.text))}`
  },
  check_items: fixed('must contain only valid items'),
  every_item: fixed('must contain only valid items'),
  some_item: fixed('must contain a valid item'),
  // transformations that can fail
  parse_json: fixed('must be valid JSON'),
  parse_boolean: fixed('must be true or false'),
  to_number: fixed('must be a number'),
  to_bigint: fixed('must be an integer'),
  to_date: fixed('must be a date'),
  stringify_json: fixed('must be serializable as JSON'),
}
