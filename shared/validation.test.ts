import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { issueLocation, safeIssueMessage } from './validation.ts'

/**
 * safeIssueMessage(): the project's own words for every issue valibot can raise without
 * a schema-set message, and never the input. Each input below carries SECRET, so a
 * message built from valibot's `received` (or the value itself) fails the check.
 */

const SECRET = 'SECRET-hunter2'

function issuesOf(schema: v.GenericSchema, input: unknown, root = 'body') {
  const result = v.safeParse(schema, input, { message: safeIssueMessage })
  expect(result.success, `${JSON.stringify(input)} should have failed`).toBe(false)
  return (result.issues ?? []).map((issue) => ({
    location: issueLocation(root, issue),
    message: issue.message,
  }))
}

/** One issue at the root: its message. */
function messageOf(schema: v.GenericSchema, input: unknown): string {
  const issues = issuesOf(schema, input)
  expect(issues, JSON.stringify(issues)).toHaveLength(1)
  return issues[0]?.message ?? ''
}

describe('schema issues: the wrong type or not an allowed value', () => {
  it.each<[string, v.GenericSchema, unknown, string]>([
    ['object', v.object({ name: v.string() }), SECRET, 'must be an object'],
    ['object (a number)', v.object({ name: v.string() }), 42, 'must be an object'],
    ['object (null)', v.object({ name: v.string() }), null, 'must be an object'],
    ['loose object', v.looseObject({}), SECRET, 'must be an object'],
    ['strict object', v.strictObject({}), SECRET, 'must be an object'],
    ['record', v.record(v.string(), v.number()), SECRET, 'must be an object'],
    [
      'variant',
      v.variant('type', [v.object({ type: v.literal('a') })]),
      SECRET,
      'must be an object',
    ],
    ['array', v.array(v.string()), SECRET, 'must be an array'],
    ['array (an object)', v.array(v.string()), { SECRET }, 'must be an array'],
    ['tuple', v.tuple([v.string()]), SECRET, 'must be an array'],
    ['string', v.string(), 42, 'must be a string'],
    ['string (an object)', v.string(), { SECRET }, 'must be a string'],
    ['number', v.number(), SECRET, 'must be a number'],
    ['boolean', v.boolean(), SECRET, 'must be true or false'],
    ['null', v.null(), SECRET, 'must be null'],
    ['literal string', v.literal('client_credentials'), SECRET, "must be 'client_credentials'"],
    ['literal number', v.literal(3), SECRET, 'must be 3'],
    ['literal true', v.literal(true), SECRET, 'must be true'],
    ['picklist of two', v.picklist(['member', 'admin']), SECRET, "must be 'member' or 'admin'"],
    [
      'picklist of three',
      v.picklist(['member', 'admin', 'owner']),
      SECRET,
      "must be one of 'member', 'admin', 'owner'",
    ],
    ['picklist, wrong type', v.picklist(['member', 'admin']), 7, "must be 'member' or 'admin'"],
    ['enum', v.enum({ A: 'a', B: 'b', C: 'c' }), SECRET, "must be one of 'a', 'b', 'c'"],
    ['union of types', v.union([v.string(), v.number()]), true, 'must be a string or a number'],
    [
      'union of literals (as the picklist)',
      v.union([v.literal('member'), v.literal('admin'), v.literal('owner')]),
      SECRET,
      "must be one of 'member', 'admin', 'owner'",
    ],
    [
      'union with a nested union',
      v.union([v.string(), v.union([v.number(), v.null()])]),
      [SECRET],
      'must be a string, a number or null',
    ],
    [
      'union of pipes',
      v.union([v.pipe(v.string(), v.email()), v.pipe(v.string(), v.url())]),
      SECRET,
      'must be an email address or a URL',
    ],
    [
      'union of objects, failing inside',
      v.union([v.object({ a: v.string() }), v.object({ b: v.string() })]),
      { a: SECRET.length, b: SECRET.length },
      'must match one of the allowed forms',
    ],
    ['nullable keeps the inner type', v.nullable(v.string()), 1, 'must be a string'],
    ['non-nullable', v.nonNullable(v.nullable(v.string())), null, 'must not be null'],
    ['never', v.never(), SECRET, 'is not allowed'],
  ])('%s', (_name, schema, input, message) => {
    expect(messageOf(schema, input)).toBe(message)
    expect(message).not.toContain(SECRET)
  })

  it('lists only the allowed values, never the one sent', () => {
    const message = messageOf(v.picklist(['member', 'admin', 'owner']), 'owner2')
    expect(message).toBe("must be one of 'member', 'admin', 'owner'")
    expect(message).not.toContain('owner2')
  })

  it('names the discriminator of a variant and its allowed values', () => {
    const schema = v.variant('type', [
      v.object({ type: v.literal('text'), text: v.string() }),
      v.object({ type: v.literal('action'), id: v.string() }),
    ])
    expect(issuesOf(schema, { type: SECRET })).toEqual([
      { location: 'body.type', message: "must be 'text' or 'action'" },
    ])
  })

  it('calls a missing key required and an unknown key of a strict object not allowed', () => {
    const schema = v.strictObject({ name: v.string() })
    expect(issuesOf(schema, { [SECRET]: 1 })).toEqual([
      { location: 'body.name', message: 'is required' },
      { location: `body.${SECRET}`, message: 'is not allowed' },
    ])
  })
})

describe('validation issues: the right type, a rule broken', () => {
  const long = `${SECRET}${'x'.repeat(100)}`
  it.each<[string, v.GenericSchema, unknown, string]>([
    ['min_length', v.pipe(v.string(), v.minLength(3)), 'SE', 'must be at least 3 characters'],
    ['min_length 1', v.pipe(v.string(), v.minLength(1)), '', 'must be at least 1 character'],
    ['max_length', v.pipe(v.string(), v.maxLength(100)), long, 'must be at most 100 characters'],
    ['length', v.pipe(v.string(), v.length(64)), SECRET, 'must be exactly 64 characters'],
    [
      'max_length of a list',
      v.pipe(v.array(v.string()), v.maxLength(1)),
      [SECRET, SECRET],
      'must have at most 1 item',
    ],
    [
      'min_length of a list',
      v.pipe(v.array(v.string()), v.minLength(2)),
      [SECRET],
      'must have at least 2 items',
    ],
    [
      'max_graphemes',
      v.pipe(v.string(), v.maxGraphemes(3)),
      SECRET,
      'must be at most 3 characters',
    ],
    ['max_bytes', v.pipe(v.string(), v.maxBytes(4)), SECRET, 'must be at most 4 bytes'],
    [
      'min_entries',
      v.pipe(v.record(v.string(), v.string()), v.minEntries(2)),
      { SECRET },
      'must have at least 2 entries',
    ],
    ['non_empty', v.pipe(v.array(v.string()), v.nonEmpty()), [], 'must not be empty'],
    ['min_value', v.pipe(v.number(), v.minValue(1)), 0, 'must be at least 1'],
    ['max_value', v.pipe(v.number(), v.maxValue(100)), 101, 'must be at most 100'],
    ['gt_value', v.pipe(v.number(), v.gtValue(0)), -5, 'must be greater than 0'],
    ['lt_value', v.pipe(v.number(), v.ltValue(10)), 15, 'must be less than 10'],
    ['multiple_of', v.pipe(v.number(), v.multipleOf(5)), 7, 'must be a multiple of 5'],
    ['integer', v.pipe(v.number(), v.integer()), 1.5, 'must be an integer'],
    ['values', v.pipe(v.number(), v.values([1, 2, 3])), 9, 'must be one of 1, 2, 3'],
    ['not_value', v.pipe(v.string(), v.notValue('root')), 'root', "must not be 'root'"],
    ['regex', v.pipe(v.string(), v.regex(/^[a-z]+$/)), SECRET, 'must be in the expected format'],
    ['starts_with', v.pipe(v.string(), v.startsWith('tk_')), SECRET, "must start with 'tk_'"],
    ['uuid', v.pipe(v.string(), v.uuid()), SECRET, 'must be a UUID'],
    ['email', v.pipe(v.string(), v.email()), SECRET, 'must be an email address'],
    ['url', v.pipe(v.string(), v.url()), SECRET, 'must be a URL'],
    [
      'iso_timestamp',
      v.pipe(v.string(), v.isoTimestamp()),
      SECRET,
      'must be an ISO 8601 timestamp',
    ],
    ['hexadecimal', v.pipe(v.string(), v.hexadecimal()), SECRET, 'must be hexadecimal'],
    [
      'check',
      v.pipe(
        v.string(),
        v.check(() => false),
      ),
      SECRET,
      'is not valid',
    ],
    ['to_number', v.pipe(v.string(), v.toNumber()), SECRET, 'must be a number'],
    ['parse_json', v.pipe(v.string(), v.parseJson()), SECRET, 'must be valid JSON'],
  ])('%s', (_name, schema, input, message) => {
    expect(messageOf(schema, input)).toBe(message)
    expect(message).not.toContain(SECRET)
  })

  it('reports every broken rule of a pipe in the same voice', () => {
    const schema = v.pipe(v.string(), v.minLength(200), v.regex(/^[a-z]+$/))
    expect(issuesOf(schema, SECRET).map((issue) => issue.message)).toEqual([
      'must be at least 200 characters',
      'must be in the expected format',
    ])
  })
})

describe('one voice', () => {
  it('gives the same mistake the same message wherever it is', () => {
    const root = v.object({ name: v.string() })
    const nested = v.object({ org: v.object({ name: v.string() }) })
    expect(issuesOf(root, 'hello')).toEqual([{ location: 'body', message: 'must be an object' }])
    expect(issuesOf(nested, { org: 'hello' })).toEqual([
      { location: 'body.org', message: 'must be an object' },
    ])
    // And as an element of a list, or at another root.
    expect(issuesOf(v.array(root), ['hello'], 'query')).toEqual([
      { location: 'query.0', message: 'must be an object' },
    ])
  })

  it('says "must be a string" alike for a missing type, at any depth', () => {
    const schema = v.object({ name: v.string(), tags: v.array(v.string()) })
    expect(issuesOf(schema, { name: 42, tags: [SECRET, 7] })).toEqual([
      { location: 'body.name', message: 'must be a string' },
      { location: 'body.tags.1', message: 'must be a string' },
    ])
  })

  it('keeps a message the schema sets itself', () => {
    const schema = v.object({ scopes: v.array(v.string(), 'must be an array of scopes') })
    expect(issuesOf(schema, { scopes: SECRET })).toEqual([
      { location: 'body.scopes', message: 'must be an array of scopes' },
    ])
  })

  it('joins the messages of union options that each broke a rule, theirs kept', () => {
    const schema = v.union([
      v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'must be a port number')),
      v.pipe(v.string(), v.url()),
    ])
    expect(messageOf(schema, SECRET)).toBe('must be a port number or a URL')
  })

  it('never contains the input for any issue, unlike valibot’s defaults', () => {
    const schema = v.object({
      a: v.string(),
      b: v.picklist(['x', 'y']),
      c: v.pipe(v.string(), v.maxLength(3)),
      d: v.union([v.number(), v.boolean()]),
    })
    const input = { a: [SECRET], b: SECRET, c: SECRET, d: SECRET }
    const ours = JSON.stringify(issuesOf(schema, input).map((issue) => issue.message))
    expect(ours).not.toContain(SECRET)
    // The same parse without our messages quotes the input: the check above can fail.
    const theirs = v.safeParse(schema, input)
    expect(JSON.stringify(theirs.issues?.map((issue) => issue.message))).toContain(SECRET)
  })
})
