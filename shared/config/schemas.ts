import * as v from 'valibot'
import { issueLocation, safeIssueMessage } from '#shared/validation.ts'
import { CHAT_ACTIONS_IMPLEMENTED, isImplementedAction } from './chat-actions.ts'

/**
 * One valibot schema per service config (the `data` column of service_configs).
 *
 * Objects are `v.object`, not `v.strictObject`: unknown keys are dropped, not refused.
 * Configs outlive deployments: during a rolling update, replicas of the old release read
 * data written for the new one, and a key they do not know yet must not make them refuse
 * the whole config and stay on an old version. A misspelt required key still fails, as
 * the required one is then missing.
 *
 * Every check carries its own message, written here and never derived from the input, so
 * even a bare `v.safeParse` without `safeIssueMessage` reports nothing the caller sent.
 * Locations (`data.actions.3.args.count.default`) do name keys, as every validation
 * location in the API does; values never appear.
 */

/** Integers end up in PostgreSQL `integer` columns and casts (the chat limit trigger). */
const INT4_MAX = 2_147_483_647
const INT4_MIN = -2_147_483_648

/** "is required" when the key is absent, otherwise what was expected (never the input). */
const expected = (what: string) => (issue: v.BaseIssue<unknown>) =>
  issue.input === undefined ? 'is required' : `must be ${what}`

function int(min: number, max = INT4_MAX) {
  return v.pipe(
    v.number(expected('a number')),
    v.integer('must be an integer'),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  )
}

function text(maxLength: number) {
  return v.pipe(
    v.string(expected('a string')),
    v.regex(/\S/, 'must not be blank'),
    v.maxLength(maxLength, `must be at most ${maxLength} characters`),
  )
}

const object = <const E extends v.ObjectEntries>(entries: E) =>
  v.object(entries, expected('an object'))

// chat ---------------------------------------------------------------------------------

/** The id clients send: `roll-dice`. */
const ACTION_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
/** Argument names are JSON keys clients send alongside the action id: `count`. */
const ARG_NAME = /^[a-z][a-z0-9_]{0,31}$/

/** An integer argument with its bounds; the default is what an omitted argument gets. */
const IntegerArgSchema = v.pipe(
  object({
    type: v.literal('integer', "must be 'integer'"),
    minimum: int(INT4_MIN),
    maximum: int(INT4_MIN),
    default: int(INT4_MIN),
  }),
  v.forward(
    v.partialCheck(
      [['minimum'], ['maximum']],
      (arg) => arg.minimum <= arg.maximum,
      'must not be greater than maximum',
    ),
    ['minimum'],
  ),
  v.forward(
    v.partialCheck(
      [['minimum'], ['maximum'], ['default']],
      (arg) => arg.minimum <= arg.default && arg.default <= arg.maximum,
      'must lie between minimum and maximum',
    ),
    ['default'],
  ),
)

const IMPLEMENTED = Object.keys(CHAT_ACTIONS_IMPLEMENTED).join(', ')
const wellFormedId = (id: string) => ACTION_ID.test(id) && id.length <= 64
const ARG_NAME_FORM = (name: string) => ARG_NAME.test(name)

const ChatActionSchema = v.pipe(
  object({
    id: v.pipe(
      v.string(expected('a string')),
      v.regex(ACTION_ID, 'must be kebab-case (a-z, 0-9 and single hyphens)'),
      v.maxLength(64, 'must be at most 64 characters'),
    ),
    label: text(100),
    description: text(500),
    args: v.optional(
      v.record(
        v.pipe(
          v.string('must be a string'),
          v.regex(ARG_NAME, 'must be a lowercase name (a-z, 0-9, _), at most 32 characters'),
        ),
        IntegerArgSchema,
        expected('an object'),
      ),
    ),
  }),
  // Checked once the id and the arguments are well-formed: an action nothing implements
  // would be offered to clients and never answered, and an argument its handler does not
  // read would be ignored.
  v.forward(
    v.check(
      // An id already refused for its form is not refused again for this.
      (action) => !wellFormedId(action.id) || isImplementedAction(action.id),
      `must be an action the chat function implements: ${IMPLEMENTED}`,
    ),
    ['id'],
  ),
  v.forward(
    v.check((action) => {
      const reads: readonly string[] = isImplementedAction(action.id)
        ? CHAT_ACTIONS_IMPLEMENTED[action.id].args
        : []
      const names = Object.keys(action.args ?? {})
      // Names already refused for their form are not refused again for this.
      return (
        names.some((name) => !ARG_NAME_FORM(name)) || names.every((name) => reads.includes(name))
      )
    }, 'must name only arguments the action reads'),
    ['args'],
  ),
)

export const ChatConfigSchema = object({
  actions: v.pipe(
    v.array(ChatActionSchema, expected('an array')),
    v.maxLength(100, 'must hold at most 100 actions'),
    // Clients pick an action by id: two entries with one id make the catalog ambiguous.
    v.check(
      (actions) => new Set(actions.map((action) => action.id)).size === actions.length,
      'must not repeat an action id',
    ),
  ),
  max_active_chats_per_user_per_project: int(1),
  /** A chat without activity for this long expires; its streams close with 4404. */
  idle_timeout_seconds: int(60),
  // Optional, with defaults: rows written before these existed stay valid.
  /** Open streams (WebSocket and SSE) per user on one chat instance; the next → 4429. */
  max_connections_per_user: v.optional(int(1, 1_000), 5),
  /** Actions per minute on one stream (a sliding minute); more → a RATE_LIMITED frame. */
  actions_per_minute: v.optional(int(1, 6_000), 60),
})

// ratelimits ---------------------------------------------------------------------------

const RateLimitSchema = object({
  limit: int(1),
  window_seconds: int(1),
})

export const RateLimitsConfigSchema = object({
  guest_signin: RateLimitSchema,
  authenticated: RateLimitSchema,
})

// projects, auth, features -------------------------------------------------------------

export const ProjectsConfigSchema = object({
  max_projects_per_org: int(1),
})

export const AuthConfigSchema = object({
  access_token_ttl_seconds: int(60, 86_400),
  refresh_token_ttl_seconds: int(3_600),
})

export const FeaturesConfigSchema = object({
  flags: v.record(
    v.pipe(
      v.string('must be a string'),
      v.minLength(1, 'must not be empty'),
      v.maxLength(100, 'must be at most 100 characters'),
    ),
    v.boolean(expected('a boolean')),
    expected('an object'),
  ),
})

// the table ----------------------------------------------------------------------------

/** Service name (the service_configs primary key) → the schema of its `data`. */
export const CONFIG_SCHEMAS = {
  chat: ChatConfigSchema,
  ratelimits: RateLimitsConfigSchema,
  projects: ProjectsConfigSchema,
  auth: AuthConfigSchema,
  features: FeaturesConfigSchema,
} as const

export type ConfigSchemas = typeof CONFIG_SCHEMAS
export type ConfigService = keyof ConfigSchemas
export type Configs = { [S in ConfigService]: v.InferOutput<ConfigSchemas[S]> }
export type ConfigOf<S extends ConfigService> = Configs[S]

export type ChatConfig = ConfigOf<'chat'>
export type ChatAction = ChatConfig['actions'][number]
export type RateLimitsConfig = ConfigOf<'ratelimits'>
export type RateLimit = RateLimitsConfig['guest_signin']
export type ProjectsConfig = ConfigOf<'projects'>
export type AuthConfig = ConfigOf<'auth'>
export type FeaturesConfig = ConfigOf<'features'>

export const CONFIG_SERVICES = Object.freeze(
  Object.keys(CONFIG_SCHEMAS),
) as readonly ConfigService[]

/** For a `{service}` path parameter: a name with a schema, or CONFIG_NOT_FOUND. */
export function isConfigService(name: string): name is ConfigService {
  return Object.hasOwn(CONFIG_SCHEMAS, name)
}

/** A validation failure, in the shape of problem+json `errors` items. */
export interface ConfigIssue {
  location: string
  message: string
}

export type ConfigValidation<S extends ConfigService> =
  | { success: true; output: ConfigOf<S> }
  | { success: false; issues: ConfigIssue[] }

/**
 * Checks data against its service's schema. `root` prefixes every location: `body.data`
 * for `PUT /v1/configs/{service}` (400 CONFIG_INVALID), `data` by default.
 */
export function validateConfig<S extends ConfigService>(
  service: S,
  data: unknown,
  root = 'data',
): ConfigValidation<S> {
  const schema: v.GenericSchema = CONFIG_SCHEMAS[service]
  const result = v.safeParse(schema, data, { message: safeIssueMessage })
  if (result.success) return { success: true, output: result.output as ConfigOf<S> }
  return {
    success: false,
    issues: result.issues.map((issue) => ({
      location: issueLocation(root, issue),
      message: issue.message,
    })),
  }
}
