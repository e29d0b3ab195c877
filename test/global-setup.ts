import { Redis } from 'ioredis'
import postgres from 'postgres'
import type { TestProject } from 'vitest/node'
import { roleUrl, templateName } from './harness/names.ts'
import { provisionDatabase } from './harness/provision.ts'
import { findServers, type Servers } from './harness/servers.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string
    redisUrl: string
    runId: string
  }
}

/**
 * Once per run: find the servers, create the roles, and migrate one template database
 * that every test file clones (CREATE DATABASE … TEMPLATE is much faster than
 * migrating each one). Teardown drops every database this run created.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers = await findServers()
  try {
    return await prepare(project, servers)
  } catch (error) {
    // A failed setup must not leave the servers it started running (vitest would hang).
    await servers.stop()
    throw error
  }
}

async function prepare(project: TestProject, servers: Servers): Promise<() => Promise<void>> {
  process.stderr.write(
    `test servers: PostgreSQL from ${servers.sources.postgres}, Redis from ${servers.sources.redis}\n`,
  )
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const template = templateName(runId)
  await provisionDatabase(servers.postgresUrl, template)
  // The mutation check (scripts/mutation-check.sh) weakens the schema on purpose and
  // expects the isolation suites to fail; every test database is cloned from this one.
  const mutation = process.env.TENANTRY_TEST_MUTATION_SQL
  if (mutation) {
    process.stderr.write(`test schema mutated on purpose: ${mutation}\n`)
    const mutator = postgres(roleUrl(servers.postgresUrl, null, template), {
      max: 1,
      onnotice: () => {},
    })
    try {
      await mutator.unsafe(mutation)
    } finally {
      await mutator.end()
    }
  }
  const redis = new Redis(servers.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    const info = await redis.info('server')
    const major = Number(/redis_version:(\d+)/.exec(info)?.[1] ?? 0)
    if (major < 7) throw new Error(`Redis 7 or newer is needed; the server is ${major}`)
  } finally {
    redis.disconnect()
  }

  project.provide('postgresAdminUrl', servers.postgresUrl)
  project.provide('redisUrl', servers.redisUrl)
  project.provide('runId', runId)

  return async () => {
    const admin = postgres(servers.postgresUrl, { max: 1, onnotice: () => {} })
    try {
      const leftovers = await admin<{ datname: string }[]>`
        select datname from pg_database where datname like ${`tenantry\\_%\\_${runId}%`}`
      for (const { datname } of leftovers) {
        await admin.unsafe(`drop database if exists "${datname}" with (force)`)
      }
    } finally {
      await admin.end()
      await servers.stop()
    }
  }
}
