import type * as v from 'valibot'

/**
 * Messages for valibot issues that never repeat the input: valibot's defaults quote the
 * received value ("Expected string but received \"hunter2\""), which must not reach a
 * response or a log. Pass as `message` in the parse config: a message a schema sets
 * itself still wins, and those are written by us, not derived from input.
 */
export function safeIssueMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.input === undefined) return 'is required'
  if (issue.kind === 'schema') return issue.expected ? `must be ${issue.expected}` : 'is invalid'
  const rule = issue.type.replaceAll('_', ' ')
  return issue.expected ? `fails ${rule} (expected ${issue.expected})` : `fails ${rule}`
}

/** `['body', 'members', 0, 'role']` → `body.members.0.role`. */
export function issueLocation(root: string, issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((item) => String(item.key))
  return [root, ...keys].join('.')
}
