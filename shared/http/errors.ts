/**
 * The one error catalog of API.md: code → HTTP status and title. Everything else (the
 * problem+json body, OpenAPI responses, reverse lookups) is derived from this table.
 */
export const ERROR_CATALOG = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The body is not valid JSON' },
  INVALID_CURSOR: { status: 400, title: 'The cursor is not valid' },
  CONFIG_INVALID: { status: 400, title: 'The config does not match its schema' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  REFRESH_TOKEN_INVALID: { status: 401, title: 'The refresh token is not valid' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'No such route' },
  ORG_NOT_FOUND: { status: 404, title: 'Org not found' },
  PROJECT_NOT_FOUND: { status: 404, title: 'Project not found' },
  CHAT_NOT_FOUND: { status: 404, title: 'Chat not found' },
  INVITE_NOT_FOUND: { status: 404, title: 'Invite not found' },
  CONFIG_NOT_FOUND: { status: 404, title: 'Config not found' },
  MEMBER_NOT_FOUND: { status: 404, title: 'Member not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this route' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request took too long to arrive' },
  PROJECT_NAME_TAKEN: { status: 409, title: 'A project with this name exists in the org' },
  CHAT_LIMIT_REACHED: { status: 409, title: 'Too many active chats in this project' },
  PROJECT_LIMIT_REACHED: { status: 409, title: 'The org has reached its project quota' },
  LAST_OWNER: { status: 409, title: 'An org needs at least one owner' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'A request with this Idempotency-Key is running' },
  ALREADY_MEMBER: { status: 409, title: 'Already a member of the org' },
  INVITE_EXPIRED: { status: 410, title: 'The invite was used or has expired' },
  CONFIG_VERSION_CONFLICT: { status: 412, title: 'The config changed since that version' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The body must be application/json' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'This Idempotency-Key was used with a different request',
  },
  PRECONDITION_REQUIRED: { status: 428, title: 'If-Match is required' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  INTERNAL: { status: 500, title: 'Internal error' },
  UNAVAILABLE: { status: 503, title: 'A dependency is unavailable' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ERROR_CATALOG

/** One failed input field: where it is (`body.name`, `query.limit`) and what is wrong. */
export interface FieldError {
  location: string
  message: string
}

export interface ApiErrorOptions {
  detail?: string
  errors?: FieldError[]
  headers?: Record<string, string>
  cause?: unknown
}

/** The one error class handlers throw; `onError` turns it into problem+json. */
export class ApiError extends Error {
  readonly code: ErrorCode
  readonly status: (typeof ERROR_CATALOG)[ErrorCode]['status']
  readonly detail: string | undefined
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string>

  constructor(code: ErrorCode, options: ApiErrorOptions = {}) {
    super(options.detail ?? ERROR_CATALOG[code].title, { cause: options.cause })
    this.name = 'ApiError'
    this.code = code
    this.status = ERROR_CATALOG[code].status
    this.detail = options.detail
    this.errors = options.errors
    this.headers = options.headers ?? {}
  }
}

/** RFC 9457 problem details, the body of every error response. */
export interface Problem {
  type: string
  title: string
  status: number
  detail?: string
  instance?: string
  code: ErrorCode
  request_id: string
  errors?: FieldError[]
}

/** `ORG_NOT_FOUND` → `/docs/errors#org-not-found`, relative to the API host. */
export function problemType(code: ErrorCode): string {
  return `/docs/errors#${code.toLowerCase().replaceAll('_', '-')}`
}

export function toProblem(error: ApiError, requestId: string, instance?: string): Problem {
  return {
    type: problemType(error.code),
    title: ERROR_CATALOG[error.code].title,
    status: error.status,
    ...(error.detail === undefined ? {} : { detail: error.detail }),
    ...(instance === undefined ? {} : { instance }),
    code: error.code,
    request_id: requestId,
    ...(error.errors === undefined ? {} : { errors: error.errors }),
  }
}
