import {
  findOnPath,
  findPostgresBinDir,
  type LocalServer,
  startLocalPostgres,
  startLocalRedis,
} from './local-servers.ts'

/**
 * Finds a real PostgreSQL and a real Redis for the test run, in the order of DESIGN.md §8:
 *   1. TEST_DATABASE_URL / TEST_REDIS_URL (or DATABASE_URL / REDIS_URL);
 *   2. testcontainers, when a Docker engine answers;
 *   3. local binaries (initdb/pg_ctl, redis-server);
 *   4. otherwise one message naming the three options.
 * The PostgreSQL URL must be an administrator's (it creates roles and databases).
 */

export interface Servers {
  postgresUrl: string
  redisUrl: string
  /** Where each came from, printed once so a run says what it tested against. */
  sources: { postgres: string; redis: string }
  stop(): Promise<void>
}

const HOW_TO =
  'Tests need a real PostgreSQL 15+ and Redis 7+. Provide one of: ' +
  '(1) TEST_DATABASE_URL (an administrator) and TEST_REDIS_URL; ' +
  '(2) a running Docker engine, for testcontainers; ' +
  '(3) local binaries: PostgreSQL server (initdb, pg_ctl; e.g. Debian postgresql-15) and redis-server.'

/** How the machine is probed; replaceable so the fallback message itself can be tested. */
export interface Probe {
  dockerAnswers(): Promise<boolean>
  postgresBinDir(): string | undefined
  redisBinary(): string | undefined
}

const machine: Probe = {
  dockerAnswers,
  postgresBinDir: findPostgresBinDir,
  redisBinary: () => findOnPath('redis-server'),
}

/**
 * Without starting anything: what the run would lack (`['PostgreSQL', 'Redis']`, one of
 * them, or none), and the one message that says so. Cheap sources first, Docker last.
 */
export async function missingServers(
  env: NodeJS.ProcessEnv = process.env,
  probe: Probe = machine,
): Promise<{ missing: string[]; message: string }> {
  const postgres = Boolean(env.TEST_DATABASE_URL || env.DATABASE_URL) || !!probe.postgresBinDir()
  const redis = Boolean(env.TEST_REDIS_URL || env.REDIS_URL) || !!probe.redisBinary()
  const docker = (!postgres || !redis) && (await probe.dockerAnswers())
  const missing = [!postgres && !docker && 'PostgreSQL', !redis && !docker && 'Redis'].filter(
    (name): name is string => Boolean(name),
  )
  return { missing, message: missing.length ? `No ${missing.join(' and ')} found. ${HOW_TO}` : '' }
}

export async function findServers(
  env: NodeJS.ProcessEnv = process.env,
  probe: Probe = machine,
): Promise<Servers> {
  const stops: Array<() => Promise<void>> = []
  const stop = async () => {
    for (const fn of stops.reverse()) await fn()
  }
  try {
    let postgresUrl = env.TEST_DATABASE_URL || env.DATABASE_URL
    let redisUrl = env.TEST_REDIS_URL || env.REDIS_URL
    const sources = {
      postgres: postgresUrl ? 'environment' : '',
      redis: redisUrl ? 'environment' : '',
    }

    if ((!postgresUrl || !redisUrl) && (await probe.dockerAnswers())) {
      if (!postgresUrl) {
        const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
        // The pgTAP suite needs the pgtap extension in the server, which the stock
        // image lacks: TEST_POSTGRES_IMAGE names one that has it.
        const image = env.TEST_POSTGRES_IMAGE || 'postgres:17-alpine'
        const pg = await new PostgreSqlContainer(image).start()
        stops.push(async () => void (await pg.stop()))
        postgresUrl = pg.getConnectionUri()
        sources.postgres = 'testcontainers'
      }
      if (!redisUrl) {
        const { RedisContainer } = await import('@testcontainers/redis')
        const redis = await new RedisContainer('redis:7-alpine').start()
        stops.push(async () => void (await redis.stop()))
        redisUrl = redis.getConnectionUrl()
        sources.redis = 'testcontainers'
      }
    }

    if (!postgresUrl) {
      const binDir = probe.postgresBinDir()
      if (binDir) {
        const pg: LocalServer = await startLocalPostgres(binDir)
        stops.push(pg.stop)
        postgresUrl = pg.url
        sources.postgres = `local binaries (${binDir})`
      }
    }
    if (!redisUrl) {
      const binary = probe.redisBinary()
      if (binary) {
        const redis = await startLocalRedis(binary)
        stops.push(redis.stop)
        redisUrl = redis.url
        sources.redis = `local binaries (${binary})`
      }
    }

    if (!postgresUrl || !redisUrl) {
      const missing = [!postgresUrl && 'PostgreSQL', !redisUrl && 'Redis']
        .filter(Boolean)
        .join(' and ')
      throw new Error(`No ${missing} found. ${HOW_TO}`)
    }
    return { postgresUrl, redisUrl, sources, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers')
    await getContainerRuntimeClient()
    return true
  } catch {
    return false
  }
}
