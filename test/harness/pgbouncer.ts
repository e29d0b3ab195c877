import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  asServiceUser,
  findOnPath,
  freePort,
  serviceTempDir,
  waitForPort,
} from './local-servers.ts'
import { ROLE_PASSWORD } from './names.ts'

/**
 * A PgBouncer in transaction mode in front of one test database, started by the test
 * that needs it. Its server pool is deliberately smaller than the client pool, so that
 * consecutive transactions of different clients share server connections: the
 * situation in which a session-level SET would leak one tenant's context to another.
 */
export interface PgBouncer {
  /** URL for clients: any user name is accepted and mapped to tenantry_app. */
  url: string
  stop(): Promise<void>
}

export async function startPgBouncer(postgresUrl: string, serverPoolSize = 2): Promise<PgBouncer> {
  const binary = findOnPath('pgbouncer') ?? ['/usr/sbin/pgbouncer'].find((path) => existsSync(path))
  if (!binary) {
    throw new Error(
      'pgbouncer is not installed (Debian: apt-get install pgbouncer); the isolation suite needs it',
    )
  }
  const target = new URL(postgresUrl)
  const database = target.pathname.slice(1)
  const dir = await serviceTempDir('tenantry-pgbouncer-')
  const port = await freePort()
  const ini = join(dir, 'pgbouncer.ini')
  await writeFile(
    ini,
    [
      '[databases]',
      `${database} = host=${target.hostname} port=${target.port || 5432} dbname=${database} user=tenantry_app password=${ROLE_PASSWORD}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      "unix_socket_dir = ''",
      'auth_type = any',
      'pool_mode = transaction',
      `default_pool_size = ${serverPoolSize}`,
      'max_client_conn = 200',
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  )
  const [cmd, ...args] = asServiceUser([binary, ini])
  const child = spawn(cmd as string, args, { stdio: 'ignore' })
  await waitForPort(port, child)
  return {
    url: `postgres://tenantry_app:${ROLE_PASSWORD}@127.0.0.1:${port}/${database}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        // SIGTERM is PgBouncer's immediate shutdown. Signal it by its own pid: as root it
        // runs under runuser, which need not pass signals on.
        const pid = Number(await readFile(join(dir, 'pgbouncer.pid'), 'utf8').catch(() => ''))
        if (pid > 0) process.kill(pid, 'SIGTERM')
        else child.kill('SIGTERM')
        await exited
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}
