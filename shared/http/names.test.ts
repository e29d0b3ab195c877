import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { safeIssueMessage } from '#shared/validation.ts'
import {
  BIDI_CONTROLS,
  ENTITY_NAME_CASES,
  OTHER_FORMAT_CHARACTERS,
  sweptCodePoints,
} from '#test/fixtures/entity-names.ts'
import { EntityName } from './names.ts'

/** The API's rule for names of orgs and projects (API.md "orgs"). */

const parse = (name: unknown) => v.safeParse(EntityName, name, { message: safeIssueMessage })
const messages = (name: unknown) => parse(name).issues?.map((issue) => issue.message) ?? []
const accepts = (name: string) => parse(name).success

const TOO_LONG = 'must be at most 100 characters'
const INVISIBLE = 'must not contain invisible or bidirectional control characters'
/** Every message the schema can give: written by us, none derived from the input. */
const MESSAGES = [
  'must be a string',
  'must not be empty',
  TOO_LONG,
  'must not contain control characters',
  'must be well-formed Unicode text',
  INVISIBLE,
]

describe('EntityName: the shared cases', () => {
  it.each(ENTITY_NAME_CASES.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const result = parse(c.name)
    expect(result.success, JSON.stringify(result.issues?.map((i) => i.message))).toBe(c.valid)
    // What is stored is the trimmed name.
    if (result.success) expect(result.output).toBe(c.name.trim())
  })

  it('answers every refused case with our own messages only, never the input', () => {
    for (const c of ENTITY_NAME_CASES.filter((c) => !c.valid)) {
      const said = messages(c.name)
      expect(said.length, c.label).toBeGreaterThan(0)
      for (const message of said) expect(MESSAGES, c.label).toContain(message)
    }
  })
})

describe('EntityName: length in code points', () => {
  it('counts an emoji as one character, not two UTF-16 units', () => {
    const emoji = '\u{1F600}'
    expect(accepts(emoji.repeat(100))).toBe(true)
    expect(messages(emoji.repeat(101))).toEqual([TOO_LONG])
    expect(messages(`${'x'.repeat(99)}${emoji}`)).toEqual([])
    expect(messages(`${'x'.repeat(100)}${emoji}`)).toEqual([TOO_LONG])
  })

  it('counts after trimming', () => {
    expect(accepts(`  ${'é'.repeat(100)}  `)).toBe(true)
    expect(messages(`  ${'é'.repeat(101)}  `)).toEqual([TOO_LONG])
    expect(messages(' \u00A0\u3000 ')).toEqual(['must not be empty'])
  })
})

describe('EntityName: characters', () => {
  it('refuses control characters with their own message', () => {
    for (const name of ['bad\u0007name', 'Ac\nme', 'Ac\u0000me', 'Ac\u0085me']) {
      expect(messages(name), JSON.stringify(name)).toEqual(['must not contain control characters'])
    }
  })

  it('refuses every bidirectional control and the other format characters, anywhere', () => {
    for (const code of [...BIDI_CONTROLS, ...OTHER_FORMAT_CHARACTERS]) {
      const char = String.fromCodePoint(code)
      for (const name of [`${char}Acme`, `Ac${char}me`, `Acme${char}`]) {
        // U+FEFF at either end is whitespace to trim(); inside it is refused like the rest.
        if (code === 0xfeff && name !== `Ac${char}me`) continue
        expect(messages(name), `U+${code.toString(16)} in ${JSON.stringify(name)}`).toEqual([
          INVISIBLE,
        ])
      }
    }
  })

  it('refuses a lone surrogate, which has no UTF-8 form to store', () => {
    for (const name of ['\uD800', 'a\uDC00b', 'Acme\uD83D']) {
      expect(messages(name), JSON.stringify(name)).toEqual(['must be well-formed Unicode text'])
    }
  })

  it('refuses what is not a string', () => {
    for (const name of [42, null, undefined, ['Acme'], { name: 'Acme' }]) {
      expect(parse(name).success, JSON.stringify(name)).toBe(false)
    }
    expect(messages(42)).toEqual(['must be a string'])
  })
})

describe("EntityName: the code point tables match the runtime's Unicode data", () => {
  // The tables are fixed (the database holds the same ones); this fails when Node's
  // Unicode moves on, so that both copies are brought up to date together.
  const differs = (check: (char: string) => boolean) => {
    const found: string[] = []
    for (const code of sweptCodePoints()) {
      if (!check(String.fromCodePoint(code))) found.push(`U+${code.toString(16)}`)
    }
    return found
  }
  const hint = `Node's Unicode is ${process.versions.unicode}; names.ts has Unicode 17.0: update its tables and V004's (in a new migration)`
  const CONTROL_OR_FORMAT = /^(?:[\p{Cc}\p{Cf}]|\uFE0E|\uFE0F)$/u
  const PICTOGRAPHIC = /^\p{Extended_Pictographic}$/u

  it('refuses exactly Cc, Cf and the two presentation selectors between letters', () => {
    expect(
      differs((char) => accepts(`a${char}b`) !== CONTROL_OR_FORMAT.test(char)),
      hint,
    ).toEqual([])
  })

  it('joins with ZWJ exactly the Extended_Pictographic characters', () => {
    expect(
      differs((char) => accepts(`${char}\u200D${char}`) === PICTOGRAPHIC.test(char)),
      hint,
    ).toEqual([])
  })

  it('takes VS16 exactly after Extended_Pictographic characters and keycap bases', () => {
    expect(
      differs(
        (char) => accepts(`${char}\uFE0F`) === (PICTOGRAPHIC.test(char) || /^[0-9#*]$/.test(char)),
      ),
      hint,
    ).toEqual([])
  })
})
