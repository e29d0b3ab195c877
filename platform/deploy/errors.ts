/**
 * What can go wrong in `npm run deploy`, as data: one table of codes, each with its exit
 * status and what it means. The `--help` text's exit-code list is derived from it, so the
 * two cannot disagree.
 */
export const DEPLOY_ERRORS = {
  ERR_UNEXPECTED: { exit: 1, title: 'an unexpected error (the message says what)' },
  ERR_USAGE: { exit: 2, title: 'bad arguments: unknown option, function or environment' },
  ERR_KUBECONFIG: { exit: 3, title: 'no kubeconfig, or the context is not in it' },
  ERR_UNREACHABLE: { exit: 4, title: 'the API server cannot be reached (connection, DNS, TLS)' },
  ERR_KNATIVE_MISSING: { exit: 5, title: 'Knative Serving is not installed on the cluster' },
  ERR_REFUSED: {
    exit: 6,
    title: 'the API server refused a request (401, 403 RBAC, invalid, no namespace)',
  },
  ERR_REVISION_FAILED: { exit: 7, title: 'the new revision failed (its condition message)' },
  ERR_TIMEOUT: { exit: 8, title: 'not Ready within --timeout' },
} as const satisfies Record<string, { exit: number; title: string }>

export type DeployErrorCode = keyof typeof DEPLOY_ERRORS

/** A failure the CLI reports as one line on stderr with its code's exit status. */
export class DeployError extends Error {
  readonly code: DeployErrorCode

  constructor(code: DeployErrorCode, message: string) {
    // One line, whatever the server put in its messages.
    super(oneLine(message))
    this.name = 'DeployError'
    this.code = code
  }

  get exit(): number {
    return DEPLOY_ERRORS[this.code].exit
  }
}

/** Whitespace runs (newlines from condition messages included) as one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}
