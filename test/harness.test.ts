import { spawnSync } from 'node:child_process'
import { Redis } from 'ioredis'
import { describe, expect, inject, it } from 'vitest'
import { createTestDatabase, useTestDatabase } from './harness/database.ts'
import { findServers, missingServers } from './harness/servers.ts'

/** The harness itself: real servers, fresh databases, and a clear message without them. */

const db = useTestDatabase()

describe('test harness', () => {
  it('runs against a real PostgreSQL 15 or newer, as the functions’ role', async () => {
    const [row] = await db.app`
      select current_setting('server_version_num')::int as version, current_user as role,
             r.rolsuper, r.rolbypassrls
        from pg_roles r where r.rolname = current_user`
    expect(row?.version).toBeGreaterThanOrEqual(150000)
    expect(row).toMatchObject({ role: 'tenantry_app', rolsuper: false, rolbypassrls: false })
  })

  it('gives every caller a fresh, migrated database of its own', async () => {
    const other = await createTestDatabase()
    try {
      expect(other.name).not.toBe(db.name)
      await other.admin`insert into users (handle) values ('guest-1000001')`
      const [mine] =
        await db.admin`select count(*)::int as n from users where handle = 'guest-1000001'`
      expect(mine?.n).toBe(0)
      const [applied] = await other.admin`select count(*)::int as n from migrations.applied`
      expect(applied?.n).toBeGreaterThanOrEqual(2)
    } finally {
      await other.drop()
    }
    const [gone] =
      await db.admin`select count(*)::int as n from pg_database where datname = ${other.name}`
    expect(gone?.n).toBe(0)
  })

  it('runs against a real Redis 7 or newer, Pub/Sub included', async () => {
    const url = inject('redisUrl')
    const [pub, sub] = [new Redis(url), new Redis(url)]
    try {
      const info = await pub.info('server')
      expect(Number(/redis_version:(\d+)/.exec(info)?.[1])).toBeGreaterThanOrEqual(7)
      const channel = `harness:${process.pid}:${Date.now()}`
      await sub.subscribe(channel)
      const received = new Promise((resolve) =>
        sub.once('message', (_c, message) => resolve(message)),
      )
      await pub.publish(channel, 'hello')
      expect(await received).toBe('hello')
    } finally {
      pub.disconnect()
      sub.disconnect()
    }
  })

  it('stops with one message naming the three ways to provide servers', async () => {
    const nothing = {
      dockerAnswers: async () => false,
      postgresBinDir: () => undefined,
      redisBinary: () => undefined,
    }
    const error = await findServers({}, nothing).catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    const message = (error as Error).message
    expect(message).toMatch(/^No PostgreSQL and Redis found\./)
    expect(message).toContain('TEST_DATABASE_URL')
    expect(message).toContain('Docker')
    expect(message).toContain('redis-server')
  })

  it('says, before vitest starts, and as the only thing printed, what is missing', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TENANTRY_TEST_PROBE: 'nothing',
    }
    const run = spawnSync('npm', ['test'], { env, encoding: 'utf8' })
    expect(run.status).not.toBe(0)
    const { message } = await missingServers(
      {},
      {
        dockerAnswers: async () => false,
        postgresBinDir: () => undefined,
        redisBinary: () => undefined,
      },
    )
    expect(run.stderr).toBe(`${message}\n`)
    // Only npm's own banner (`> tenantry@… test`, the script line) besides it.
    const ours = run.stdout
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('>'))
    expect(ours).toEqual([])
    // With one of them given, only the other is named.
    const half = await missingServers(
      { TEST_REDIS_URL: 'redis://127.0.0.1:1' },
      {
        dockerAnswers: async () => false,
        postgresBinDir: () => undefined,
        redisBinary: () => undefined,
      },
    )
    expect(half.missing).toEqual(['PostgreSQL'])
  })

  it('prefers URLs from the environment over anything else', async () => {
    const refuse = () => {
      throw new Error('must not probe the machine when URLs are given')
    }
    const servers = await findServers(
      { TEST_DATABASE_URL: 'postgres://x@127.0.0.1:1/x', TEST_REDIS_URL: 'redis://127.0.0.1:1' },
      { dockerAnswers: refuse, postgresBinDir: refuse, redisBinary: refuse },
    )
    expect(servers.sources).toEqual({ postgres: 'environment', redis: 'environment' })
    await servers.stop()
  })
})
