import * as v from 'valibot'

/**
 * Names of orgs and projects (API.md "orgs"): trimmed; 1–100 characters counted as
 * Unicode code points, as PostgreSQL's char_length() and JSON Schema's maxLength count
 * them (not UTF-16 units: an emoji is one character, not two); no control characters; no
 * bidirectional controls or other invisible format characters (category Cf), which let
 * a name pass for another, except where emoji sequences need them.
 *
 * The database's `entity_name` domain (migration V004) applies the same rule to the
 * stored, trimmed value, with the same tables written the same way: the code point
 * ranges below are spelled exactly as in V004 so the two can be compared by eye. They
 * are fixed rather than read from the runtime's regex engine (`\p{Cf}`), which follows
 * whatever Unicode version Node ships, while the database's copy only changes with a
 * new migration. shared/db/entity-name.test.ts checks that both accept the same names.
 */

const MAX_CHARACTERS = 100

/** Unicode 17.0 General_Category=Cf: invisible format characters, bidi controls among them. */
const FORMAT = codePoints(`
  00AD 0600-0605 061C 06DD 070F 0890-0891 08E2 180E 200B-200F 202A-202E 2060-2064
  2066-206F FEFF FFF9-FFFB 110BD 110CD 13430-1343F 1BCA0-1BCA3 1D173-1D17A E0001
  E0020-E007F
`)

/** Unicode 17.0 Extended_Pictographic: what emoji ZWJ sequences join. */
const PICTOGRAPHIC = codePoints(`
  00A9 00AE 203C 2049 2122 2139 2194-2199 21A9-21AA 231A-231B 2328 23CF 23E9-23F3
  23F8-23FA 24C2 25AA-25AB 25B6 25C0 25FB-25FE 2600-2604 260E 2611 2614-2615 2618 261D
  2620 2622-2623 2626 262A 262E-262F 2638-263A 2640 2642 2648-2653 265F-2660 2663
  2665-2666 2668 267B 267E-267F 2692-2697 2699 269B-269C 26A0-26A1 26A7 26AA-26AB
  26B0-26B1 26BD-26BE 26C4-26C5 26C8 26CE-26CF 26D1 26D3-26D4 26E9-26EA 26F0-26F5
  26F7-26FA 26FD 2702 2705 2708-270D 270F 2712 2714 2716 271D 2721 2728 2733-2734 2744
  2747 274C 274E 2753-2755 2757 2763-2764 2795-2797 27A1 27B0 27BF 2934-2935 2B05-2B07
  2B1B-2B1C 2B50 2B55 3030 303D 3297 3299 1F004 1F02C-1F02F 1F094-1F09F 1F0AF-1F0B0
  1F0C0 1F0CF-1F0D0 1F0F6-1F0FF 1F170-1F171 1F17E-1F17F 1F18E 1F191-1F19A 1F1AE-1F1E5
  1F201-1F20F 1F21A 1F22F 1F232-1F23A 1F23C-1F23F 1F249-1F25F 1F266-1F321 1F324-1F393
  1F396-1F397 1F399-1F39B 1F39E-1F3F0 1F3F3-1F3F5 1F3F7-1F3FA 1F400-1F4FD 1F4FF-1F53D
  1F549-1F54E 1F550-1F567 1F56F-1F570 1F573-1F57A 1F587 1F58A-1F58D 1F590 1F595-1F596
  1F5A4-1F5A5 1F5A8 1F5B1-1F5B2 1F5BC 1F5C2-1F5C4 1F5D1-1F5D3 1F5DC-1F5DE 1F5E1 1F5E3
  1F5E8 1F5EF 1F5F3 1F5FA-1F64F 1F680-1F6C5 1F6CB-1F6D2 1F6D5-1F6E5 1F6E9 1F6EB-1F6F0
  1F6F3-1F6FF 1F7DA-1F7FF 1F80C-1F80F 1F848-1F84F 1F85A-1F85F 1F888-1F88F 1F8AE-1F8AF
  1F8BC-1F8BF 1F8C2-1F8CF 1F8D9-1F8FF 1F90C-1F93A 1F93C-1F945 1F947-1F9FF 1FA58-1FA5F
  1FA6E-1FAFF 1FC00-1FFFD
`)

const ZWJ = 0x200d
const VS15 = 0xfe0e // text presentation
const VS16 = 0xfe0f // emoji presentation
const KEYCAP_BASE = codePoints('0023 002A 0030-0039') // # * 0-9, as in 1️⃣
const SKIN_TONE = codePoints('1F3FB-1F3FF')
const BLACK_FLAG = 0x1f3f4 // base of the subdivision flags, 🏴󠁧󠁢󠁳󠁣󠁴󠁿
const TAG_SPEC = codePoints('E0020-E007E')
const CANCEL_TAG = 0xe007f

export const EntityName = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.check(
    (value) => [...value].length <= MAX_CHARACTERS,
    `must be at most ${MAX_CHARACTERS} characters`,
  ),
  // What the OpenAPI document says: JSON Schema's maxLength counts code points too.
  v.metadata({ maxLength: MAX_CHARACTERS }),
  v.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
  // A lone surrogate (JSON allows "\ud800") has no UTF-8 form: the database would store
  // U+FFFD in its place, a name nobody sent.
  v.check((value) => value.isWellFormed(), 'must be well-formed Unicode text'),
  v.check(
    (value) => formatCharactersAllowed(Array.from(value, (c) => c.codePointAt(0) ?? 0)),
    'must not contain invisible or bidirectional control characters',
  ),
)

/**
 * False when a format character (Cf) or an emoji presentation selector is anywhere but
 * inside an emoji sequence: a ZWJ between two pictographs (past the first one's
 * presentation selector or skin tone), VS15/VS16 right after a pictograph or a keycap
 * base, and tag characters closed by CANCEL TAG right after the black flag.
 * V004's entity_name_is_valid() walks the code points the same way.
 */
function formatCharactersAllowed(cps: number[]): boolean {
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] ?? 0
    if (cp === BLACK_FLAG && within(TAG_SPEC, cps[i + 1])) {
      let j = i + 1
      while (within(TAG_SPEC, cps[j])) j++
      if (cps[j] !== CANCEL_TAG) return false
      i = j
    } else if (cp === VS15 || cp === VS16) {
      const before = cps[i - 1]
      if (!within(PICTOGRAPHIC, before) && !within(KEYCAP_BASE, before)) return false
    } else if (cp === ZWJ) {
      let j = i - 1
      while (cps[j] === VS15 || cps[j] === VS16 || within(SKIN_TONE, cps[j])) j--
      if (!within(PICTOGRAPHIC, cps[j]) || !within(PICTOGRAPHIC, cps[i + 1])) return false
    } else if (within(FORMAT, cp)) {
      return false
    }
  }
  return true
}

type Ranges = readonly (readonly [number, number])[]

/** `'00AD 0600-0605 …'` (hex, as in V004) → inclusive ranges. */
function codePoints(list: string): Ranges {
  return list
    .trim()
    .split(/\s+/)
    .map((token) => {
      const [lo, hi = lo] = token.split('-').map((hex) => Number.parseInt(hex, 16))
      return [lo ?? 0, hi ?? 0] as const
    })
}

/** Binary search: the ranges are sorted and do not overlap. */
function within(ranges: Ranges, cp: number | undefined): boolean {
  if (cp === undefined) return false
  let low = 0
  let high = ranges.length - 1
  while (low <= high) {
    const mid = (low + high) >>> 1
    const [lo, hi] = ranges[mid] as readonly [number, number]
    if (cp < lo) high = mid - 1
    else if (cp > hi) low = mid + 1
    else return true
  }
  return false
}
