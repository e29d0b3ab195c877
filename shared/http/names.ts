import * as v from 'valibot'

/**
 * Names of orgs and projects: trimmed, 1–100 characters, no control characters (C0 or
 * C1) — the same rule as the database's `entity_name` domain, which has the last word.
 */
export const EntityName = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(100, 'must be at most 100 characters'),
  v.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
)
