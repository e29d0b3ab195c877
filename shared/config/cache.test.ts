import type { Sql } from 'postgres'
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import { createLogger } from '#shared/log.ts'
import { createTestDatabase, type TestDatabase, useTestDatabase } from '#test/harness/database.ts'
import { ConfigCache, ConfigLoadError } from './cache.ts'
import type { ConfigService, RateLimit } from './schemas.ts'

const ALL = ['chat', 'ratelimits', 'projects', 'auth', 'features'] as const

/** Log lines, parsed, so a test can look at what a warning carried. */
const lines: Record<string, unknown>[] = []
const log = createLogger('config-test', {
  level: 'debug',
  destination: { write: (line: string) => lines.push(JSON.parse(line)) },
})
afterEach(() => {
  lines.length = 0
})

/** A new version of a service, committed as the config function will: row and history. */
async function writeConfig(admin: Sql, service: ConfigService, data: unknown): Promise<number> {
  const [row] = await admin<{ version: number }[]>`
    update service_configs
       set version = version + 1, data = ${admin.json(data as never)}, updated_by = 'test'
     where service = ${service}
    returning version`
  if (!row) throw new Error(`no ${service} row to update`)
  await admin`
    insert into config_history (service, version, data, updated_by)
    values (${service}, ${row.version}, ${admin.json(data as never)}, 'test')`
  return row.version
}

/** Counts the statements a pool runs (tagged-template calls), to check "one query". */
function counting(sql: Sql): { sql: Sql; statements: () => number } {
  let statements = 0
  const proxy = new Proxy(sql, {
    apply(target, self, args) {
      if (Array.isArray(args[0]) && 'raw' in args[0]) statements++
      return Reflect.apply(target, self, args)
    },
  })
  return { sql: proxy, statements: () => statements }
}

describe('load() with the seeded defaults', () => {
  const db = useTestDatabase()

  it('holds every service at version 1 with API.md’s defaults, in one query', async () => {
    const { sql, statements } = counting(db.app)
    const cache = new ConfigCache(sql, ALL, log)
    expect(cache.loaded).toBe(false)
    await cache.load()
    expect(statements()).toBe(1)
    expect(cache.loaded).toBe(true)
    expect(cache.versions()).toEqual({ chat: 1, ratelimits: 1, projects: 1, auth: 1, features: 1 })

    const chat = cache.get('chat')
    expect(chat.actions.map((a) => a.id)).toEqual(
      expect.arrayContaining(['help', 'ping', 'time', 'roll-dice']),
    )
    expect(chat.max_active_chats_per_user_per_project).toBe(3)
    expect(chat.idle_timeout_seconds).toBe(30 * 60)
    expect(cache.get('ratelimits')).toEqual({
      guest_signin: { limit: 30, window_seconds: 60 },
      authenticated: { limit: 600, window_seconds: 60 },
    })
    expect(cache.get('projects')).toEqual({ max_projects_per_org: 100 })
    expect(cache.get('auth')).toEqual({
      access_token_ttl_seconds: 900,
      refresh_token_ttl_seconds: 30 * 24 * 3600,
    })
    expect(cache.get('features')).toEqual({ flags: {} })
  })

  it('types get() by service (checked by npm run typecheck)', async () => {
    const cache = new ConfigCache(db.app, ['ratelimits', 'auth'], log)
    await cache.load()
    const limits = cache.get('ratelimits')
    expectTypeOf(limits.guest_signin).toEqualTypeOf<RateLimit>()
    expectTypeOf(cache.get('auth').access_token_ttl_seconds).toEqualTypeOf<number>()
    // @ts-expect-error: this cache was not built with 'projects'
    expect(() => cache.get('projects')).toThrow(/"projects" is not loaded/)
    expect(limits.guest_signin.limit * 2).toBe(60)
  })

  it('holds only the services it was built with', async () => {
    const { sql, statements } = counting(db.app)
    const cache = new ConfigCache(sql, ['projects', 'projects'], log)
    await cache.load()
    expect(statements()).toBe(1)
    expect(cache.services).toEqual(['projects'])
    expect(cache.versions()).toEqual({ projects: 1 })
  })

  it('refuses get() before load()', () => {
    const cache = new ConfigCache(db.app, ['auth'], log)
    expect(() => cache.get('auth')).toThrow('config "auth" is not loaded')
    expect(cache.versions()).toEqual({})
  })

  it('hands out frozen values, so one request cannot change another’s config', async () => {
    const cache = new ConfigCache(db.app, ['chat', 'ratelimits'], log)
    await cache.load()
    const chat = cache.get('chat')
    expect(() => {
      ;(chat as { idle_timeout_seconds: number }).idle_timeout_seconds = 1
    }).toThrow(TypeError)
    expect(() => (chat.actions as unknown[]).push({})).toThrow(TypeError)
    const limit = cache.get('ratelimits').authenticated
    expect(() => {
      ;(limit as { limit: number }).limit = 1
    }).toThrow(TypeError)
    expect(cache.get('chat').idle_timeout_seconds).toBe(1800)
  })
})

describe('load() failures', () => {
  let db: TestDatabase | undefined
  afterEach(async () => {
    await db?.drop()
    db = undefined
  })

  it('throws naming a service whose row is missing', async () => {
    db = await createTestDatabase()
    await db.admin`delete from config_history where service = 'projects'`
    await db.admin`delete from service_configs where service = 'projects'`
    const cache = new ConfigCache(db.app, ['auth', 'projects'], log)
    const error = await cache.load().then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ConfigLoadError)
    expect((error as ConfigLoadError).message).toBe(
      'config not loaded: "projects" has no row in service_configs',
    )
    expect((error as ConfigLoadError).services).toEqual(['projects'])
    expect(cache.loaded).toBe(false)
    expect(() => cache.get('projects')).toThrow(/not loaded/)
  })

  it('throws naming every service whose data fails its schema, without the data', async () => {
    db = await createTestDatabase()
    await writeConfig(db.admin, 'auth', {
      access_token_ttl_seconds: 'SECRET-900',
      refresh_token_ttl_seconds: 2_592_000,
    })
    await writeConfig(db.admin, 'chat', { actions: [], max_active_chats_per_user_per_project: 0 })
    const cache = new ConfigCache(db.app, ALL, log)
    const error = (await cache.load().then(
      () => null,
      (e: unknown) => e,
    )) as ConfigLoadError
    expect(error).toBeInstanceOf(ConfigLoadError)
    expect(error.services).toEqual(['chat', 'auth'])
    expect(error.message).toContain(
      '"chat" version 2 fails its schema (data.max_active_chats_per_user_per_project must be at least 1, data.idle_timeout_seconds is required)',
    )
    expect(error.message).toContain(
      '"auth" version 2 fails its schema (data.access_token_ttl_seconds must be a number)',
    )
    expect(error.message).not.toContain('SECRET')
    expect(JSON.stringify(lines)).not.toContain('SECRET')
    expect(cache.loaded).toBe(false)
  })
})

describe('apply()', () => {
  const db = useTestDatabase()

  async function loadedProjects() {
    const cache = new ConfigCache(db.app, ['projects', 'auth'], log)
    await cache.load()
    return cache
  }

  it('ignores a version that is not newer than the one held', async () => {
    const cache = await loadedProjects()
    expect(cache.apply('projects', 1, { max_projects_per_org: 5 })).toBe(false)
    expect(cache.apply('projects', 0, { max_projects_per_org: 5 })).toBe(false)
    expect(cache.get('projects').max_projects_per_org).toBe(100)
    expect(cache.apply('projects', 3, { max_projects_per_org: 5 })).toBe(true)
    expect(cache.apply('projects', 2, { max_projects_per_org: 7 })).toBe(false)
    expect(cache.apply('projects', 3, { max_projects_per_org: 7 })).toBe(false)
    expect(cache.get('projects').max_projects_per_org).toBe(5)
    expect(cache.versions()).toEqual({ projects: 3, auth: 1 })
  })

  it('refuses invalid data, keeps the last known good and logs a warning without the data', async () => {
    const cache = await loadedProjects()
    lines.length = 0
    expect(cache.apply('projects', 2, { max_projects_per_org: -987_654 })).toBe(false)
    expect(cache.apply('auth', 2, { SECRET: true })).toBe(false)
    expect(cache.get('projects').max_projects_per_org).toBe(100)
    expect(cache.versions()).toEqual({ projects: 1, auth: 1 })

    const warnings = lines.filter((line) => line.level === 'warn')
    expect(warnings.map((w) => [w.service, w.version, w.held_version])).toEqual([
      ['projects', 2, 1],
      ['auth', 2, 1],
    ])
    expect(warnings[0]?.issues).toEqual([
      { location: 'data.max_projects_per_org', message: 'must be at least 1' },
    ])
    const logged = JSON.stringify(lines)
    expect(logged).not.toContain('987654')
    expect(logged).not.toContain('SECRET')
  })

  it('accepts the next valid version after refusing an invalid one', async () => {
    const cache = await loadedProjects()
    expect(cache.apply('projects', 2, { max_projects_per_org: 0 })).toBe(false)
    expect(cache.apply('projects', 2, { max_projects_per_org: 250 })).toBe(true)
    expect(cache.get('projects')).toEqual({ max_projects_per_org: 250 })
    expect(cache.versions().projects).toBe(2)
  })

  it('refuses a version that is not a positive integer', async () => {
    const cache = await loadedProjects()
    expect(cache.apply('projects', 2.5, { max_projects_per_org: 5 })).toBe(false)
    expect(cache.apply('projects', Number.NaN, { max_projects_per_org: 5 })).toBe(false)
    expect(cache.apply('projects', Number.POSITIVE_INFINITY, { max_projects_per_org: 5 })).toBe(
      false,
    )
    expect(cache.versions().projects).toBe(1)
  })

  it('ignores a service it was not built with', async () => {
    const cache = await loadedProjects()
    const foreign = 'chat' as 'projects' // as a hint for another service could arrive
    const valid = {
      actions: [],
      max_active_chats_per_user_per_project: 3,
      idle_timeout_seconds: 600,
    }
    expect(cache.apply(foreign, 9, valid)).toBe(false)
    expect(cache.versions()).toEqual({ projects: 1, auth: 1 })
  })
})

describe('refresh()', () => {
  const db = useTestDatabase()

  it('picks up a newer version committed to SQL, for one service or all', async () => {
    const cache = new ConfigCache(db.app, ['projects', 'ratelimits', 'auth'], log)
    await cache.load()
    const before = cache.versions()
    expect(await cache.refresh()).toEqual([])

    const projects = await writeConfig(db.admin, 'projects', { max_projects_per_org: 12 })
    expect(await cache.refresh('projects')).toEqual(['projects'])
    expect(cache.get('projects')).toEqual({ max_projects_per_org: 12 })
    expect(cache.versions().projects).toBe(projects)

    const limits = {
      guest_signin: { limit: 5, window_seconds: 10 },
      authenticated: { limit: 50, window_seconds: 10 },
    }
    const ratelimits = await writeConfig(db.admin, 'ratelimits', limits)
    expect(await cache.refresh()).toEqual(['ratelimits'])
    expect(cache.get('ratelimits')).toEqual(limits)
    expect(cache.versions()).toEqual({ ...before, projects, ratelimits })
  })

  it('records when each held version was last confirmed by SQL, for the staleness metric', async () => {
    const cache = new ConfigCache(db.app, ['projects', 'ratelimits'], log)
    const beforeLoad = Date.now()
    await cache.load()
    const loaded = cache.held()
    expect(loaded.projects?.version).toBe(cache.versions().projects)
    expect(loaded.projects?.verifiedAt).toBeGreaterThanOrEqual(beforeLoad)
    await new Promise((resolve) => setTimeout(resolve, 5))
    // Same version in SQL: nothing applied, but the version is confirmed as current.
    expect(await cache.refresh('ratelimits')).toEqual([])
    const after = cache.held()
    expect(after.ratelimits?.verifiedAt).toBeGreaterThan(loaded.ratelimits?.verifiedAt ?? 0)
    expect(after.projects?.verifiedAt).toBe(loaded.projects?.verifiedAt)
  })

  it('never goes back to an older version than one already applied', async () => {
    const cache = new ConfigCache(db.app, ['projects'], log)
    await cache.load()
    const [row] = await db.admin<{ version: number }[]>`
      select version from service_configs where service = 'projects'`
    const ahead = (row?.version ?? 0) + 10
    expect(cache.apply('projects', ahead, { max_projects_per_org: 42 })).toBe(true)
    expect(await cache.refresh('projects')).toEqual([])
    expect(cache.get('projects')).toEqual({ max_projects_per_org: 42 })
    expect(cache.versions().projects).toBe(ahead)
  })

  it('keeps the last known good when the newer row in SQL fails its schema', async () => {
    const cache = new ConfigCache(db.app, ['auth'], log)
    await cache.load()
    const held = cache.get('auth')
    const version = cache.versions().auth
    await writeConfig(db.admin, 'auth', {
      access_token_ttl_seconds: 10,
      refresh_token_ttl_seconds: 2_592_000,
    })
    expect(await cache.refresh()).toEqual([])
    expect(cache.get('auth')).toBe(held)
    expect(cache.versions().auth).toBe(version)
    expect(lines.some((line) => line.level === 'warn' && line.service === 'auth')).toBe(true)
  })
})

describe('refresh() without a row', () => {
  const db = useTestDatabase()

  it('keeps the last known good and warns when the row disappears', async () => {
    const cache = new ConfigCache(db.app, ['features', 'projects'], log)
    await cache.load()
    await db.admin`delete from config_history where service = 'features'`
    await db.admin`delete from service_configs where service = 'features'`
    expect(await cache.refresh()).toEqual([])
    expect(cache.get('features')).toEqual({ flags: {} })
    expect(lines.filter((line) => line.level === 'warn').map((line) => line.service)).toEqual([
      'features',
    ])
  })
})
