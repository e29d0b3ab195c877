import * as v from 'valibot'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestDatabase } from '#test/harness/database.ts'
import {
  CONFIG_SCHEMAS,
  CONFIG_SERVICES,
  type ConfigService,
  isConfigService,
  validateConfig,
} from './schemas.ts'

const db = useTestDatabase()

/** The V002 seed, as the functions' role reads it. */
const seed = {} as Record<ConfigService, unknown>
const seededServices: string[] = []

beforeAll(async () => {
  const rows = await db.app<{ service: string; data: unknown }[]>`
    select service, data from service_configs order by service`
  for (const row of rows) {
    seededServices.push(row.service)
    if (isConfigService(row.service)) seed[row.service] = row.data
  }
})

const REMOVE = Symbol('remove')

/** The seed of a service with one value replaced (or removed) at a path. */
function patched(service: ConfigService, path: (string | number)[], value: unknown): unknown {
  const data = structuredClone(seed[service])
  let at = data as Record<string | number, unknown>
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>
  const last = path.at(-1) as string | number
  if (value === REMOVE) delete at[last]
  else at[last] = value
  return data
}

describe('the V002 seed', () => {
  it('has a schema for every seeded service and a seeded row for every schema', () => {
    expect([...CONFIG_SERVICES].sort()).toEqual(seededServices)
  })

  it.each(['chat', 'ratelimits', 'projects', 'auth', 'features'] as const)(
    '%s passes its schema with nothing dropped',
    (service) => {
      const result = validateConfig(service, seed[service])
      // Keys added to a schema after V002 come out with their defaults.
      const output =
        service === 'chat'
          ? { ...(seed.chat as object), max_connections_per_user: 5, actions_per_minute: 60 }
          : seed[service]
      expect(result, JSON.stringify(result)).toEqual({ success: true, output })
    },
  )
})

describe('accepted values', () => {
  it.each([
    ['chat', ['idle_timeout_seconds'], 60],
    ['chat', ['max_active_chats_per_user_per_project'], 1],
    ['chat', ['actions'], []],
    ['chat', ['max_connections_per_user'], 1],
    ['chat', ['actions_per_minute'], 6_000],
    ['chat', ['actions', 3, 'args', 'count', 'minimum'], -5],
    ['ratelimits', ['guest_signin'], { limit: 1, window_seconds: 1 }],
    ['auth', ['access_token_ttl_seconds'], 60],
    ['auth', ['access_token_ttl_seconds'], 86_400],
    ['auth', ['refresh_token_ttl_seconds'], 3_600],
    ['features', ['flags'], { 'new-ui': true, beta_chat: false }],
  ] as const)('%s %j = %j', (service, path, value) => {
    const result = validateConfig(service, patched(service, [...path], value))
    expect(result, JSON.stringify(result)).toMatchObject({ success: true })
  })

  it('drops keys it does not know (a newer release may add them) instead of refusing', () => {
    const result = validateConfig('projects', { max_projects_per_org: 7, added_later: true })
    expect(result).toEqual({ success: true, output: { max_projects_per_org: 7 } })
  })
})

/**
 * [service, path, bad value, expected issues]. Neither a plain value nor the "SECRET"
 * marker in the others may come back in a message (locations do name keys).
 */
const REFUSED: [ConfigService, (string | number)[], unknown, [string, string][]][] = [
  [
    'chat',
    ['actions', 0, 'id'],
    'Help_SECRET me',
    [['data.actions.0.id', 'must be kebab-case (a-z, 0-9 and single hyphens)']],
  ],
  ['chat', ['actions', 1, 'id'], 'help', [['data.actions', 'must not repeat an action id']]],
  ['chat', ['actions', 0, 'label'], '   ', [['data.actions.0.label', 'must not be blank']]],
  ['chat', ['actions', 1, 'description'], REMOVE, [['data.actions.1.description', 'is required']]],
  ['chat', ['actions'], 'SECRET-actions', [['data.actions', 'must be an array']]],
  ['chat', ['actions', 2, 'label'], REMOVE, [['data.actions.2.label', 'is required']]],
  [
    'chat',
    ['max_connections_per_user'],
    0,
    [['data.max_connections_per_user', 'must be at least 1']],
  ],
  ['chat', ['actions_per_minute'], 6_001, [['data.actions_per_minute', 'must be at most 6000']]],
  [
    'chat',
    ['actions'],
    // Only four actions are implemented: 101 entries must repeat some.
    Array.from({ length: 101 }, () => ({ id: 'ping', label: 'A', description: 'B' })),
    [
      ['data.actions', 'must hold at most 100 actions'],
      ['data.actions', 'must not repeat an action id'],
    ],
  ],
  [
    'chat',
    ['actions', 0, 'id'],
    'dance',
    [
      [
        'data.actions.0.id',
        'must be an action the chat function implements: help, ping, time, roll-dice',
      ],
    ],
  ],
  [
    'chat',
    ['actions', 3, 'args', 'faces'],
    { type: 'integer', minimum: 1, maximum: 2, default: 1 },
    [['data.actions.3.args', 'must name only arguments the action reads']],
  ],
  [
    'chat',
    ['actions', 1, 'args'],
    { count: { type: 'integer', minimum: 1, maximum: 2, default: 1 } },
    [['data.actions.1.args', 'must name only arguments the action reads']],
  ],
  [
    'chat',
    ['actions', 0, 'id'],
    'a'.repeat(65),
    [['data.actions.0.id', 'must be at most 64 characters']],
  ],
  [
    'chat',
    ['actions', 0, 'label'],
    'L'.repeat(101),
    [['data.actions.0.label', 'must be at most 100 characters']],
  ],
  [
    'chat',
    ['actions', 0, 'description'],
    'D'.repeat(501),
    [['data.actions.0.description', 'must be at most 500 characters']],
  ],
  [
    'chat',
    ['actions', 3, 'args', 'count', 'default'],
    11,
    [['data.actions.3.args.count.default', 'must lie between minimum and maximum']],
  ],
  [
    'chat',
    ['actions', 3, 'args', 'sides', 'minimum'],
    777,
    [
      ['data.actions.3.args.sides.minimum', 'must not be greater than maximum'],
      ['data.actions.3.args.sides.default', 'must lie between minimum and maximum'],
    ],
  ],
  [
    'chat',
    ['actions', 3, 'args', 'count', 'type'],
    'SECRET-string',
    [['data.actions.3.args.count.type', "must be 'integer'"]],
  ],
  [
    'chat',
    ['actions', 3, 'args'],
    { 'SECRET Arg': { type: 'integer', minimum: 1, maximum: 2, default: 1 } },
    [
      [
        'data.actions.3.args.SECRET Arg',
        'must be a lowercase name (a-z, 0-9, _), at most 32 characters',
      ],
    ],
  ],
  [
    'chat',
    ['actions', 3, 'args'],
    { ['a'.repeat(33)]: { type: 'integer', minimum: 1, maximum: 2, default: 1 } },
    [
      [
        `data.actions.3.args.${'a'.repeat(33)}`,
        'must be a lowercase name (a-z, 0-9, _), at most 32 characters',
      ],
    ],
  ],
  [
    'chat',
    ['max_active_chats_per_user_per_project'],
    0,
    [['data.max_active_chats_per_user_per_project', 'must be at least 1']],
  ],
  [
    'chat',
    ['max_active_chats_per_user_per_project'],
    2_147_483_648,
    [['data.max_active_chats_per_user_per_project', 'must be at most 2147483647']],
  ],
  ['chat', ['idle_timeout_seconds'], 59, [['data.idle_timeout_seconds', 'must be at least 60']]],
  ['chat', ['idle_timeout_seconds'], 90.25, [['data.idle_timeout_seconds', 'must be an integer']]],
  ['ratelimits', ['guest_signin', 'limit'], 0, [['data.guest_signin.limit', 'must be at least 1']]],
  [
    'ratelimits',
    ['authenticated', 'window_seconds'],
    '60-SECRET',
    [['data.authenticated.window_seconds', 'must be a number']],
  ],
  ['ratelimits', ['guest_signin'], REMOVE, [['data.guest_signin', 'is required']]],
  [
    'projects',
    ['max_projects_per_org'],
    -424_242,
    [['data.max_projects_per_org', 'must be at least 1']],
  ],
  ['projects', ['max_projects_per_org'], REMOVE, [['data.max_projects_per_org', 'is required']]],
  [
    'auth',
    ['refresh_token_ttl_seconds'],
    REMOVE,
    [['data.refresh_token_ttl_seconds', 'is required']],
  ],
  [
    'auth',
    ['access_token_ttl_seconds'],
    59,
    [['data.access_token_ttl_seconds', 'must be at least 60']],
  ],
  [
    'auth',
    ['access_token_ttl_seconds'],
    86_401,
    [['data.access_token_ttl_seconds', 'must be at most 86400']],
  ],
  [
    'auth',
    ['refresh_token_ttl_seconds'],
    3_599,
    [['data.refresh_token_ttl_seconds', 'must be at least 3600']],
  ],
  ['features', ['flags'], { 'new-ui': 'SECRET-yes' }, [['data.flags.new-ui', 'must be a boolean']]],
  ['features', ['flags'], REMOVE, [['data.flags', 'is required']]],
  [
    'features',
    ['flags'],
    { ['f'.repeat(101)]: true },
    [[`data.flags.${'f'.repeat(101)}`, 'must be at most 100 characters']],
  ],
]

describe('refused values', () => {
  it.each(REFUSED)('%# %s %j', (service, path, value, expected) => {
    const result = validateConfig(service, patched(service, path, value))
    const shown = JSON.stringify(result)
    expect(result.success, shown).toBe(false)
    const issues = result.success ? [] : result.issues
    expect(issues.map((i) => [i.location, i.message])).toEqual(expected)
    for (const issue of issues) {
      for (const echo of echoes(value)) expect(issue.message).not.toContain(echo)
    }
  })

  it.each(REFUSED)(
    '%# %s %j: the schema carries its own messages, even without safeIssueMessage',
    (service, path, value, expected) => {
      const schema: v.GenericSchema = CONFIG_SCHEMAS[service]
      const result = v.safeParse(schema, patched(service, path, value))
      expect(result.issues?.map((i) => i.message)).toEqual(expected.map(([, message]) => message))
    },
  )

  it.each([
    ['null', null],
    ['a string', 'SECRET-config'],
    ['nothing', undefined],
  ])('refuses %s as a whole config', (_, data) => {
    for (const service of CONFIG_SERVICES) {
      const result = validateConfig(service, data)
      const message = data === undefined ? 'is required' : 'must be an object'
      expect(result, service).toEqual({ success: false, issues: [{ location: 'data', message }] })
    }
  })

  it('prefixes locations with the root it is given', () => {
    const result = validateConfig('projects', { max_projects_per_org: 0 }, 'body.data')
    expect(result).toEqual({
      success: false,
      issues: [{ location: 'body.data.max_projects_per_org', message: 'must be at least 1' }],
    })
  })
})

describe('isConfigService', () => {
  it('knows the services and nothing inherited', () => {
    expect(CONFIG_SERVICES.every(isConfigService)).toBe(true)
    expect(isConfigService('toString')).toBe(false)
    expect(isConfigService('__proto__')).toBe(false)
    expect(isConfigService('billing')).toBe(false)
  })
})

/** What an echoing message would contain: the marker, or the value itself if it is plain. */
function echoes(value: unknown): string[] {
  const plain = value === null || (typeof value !== 'object' && typeof value !== 'symbol')
  return plain ? ['SECRET', String(value)] : ['SECRET']
}
