import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { connect } from '#shared/db/client.ts'
import { migrate } from '#shared/db/migrate.ts'
import type { Logger } from '#shared/log.ts'

/**
 * The embedded default's PostgreSQL: PGlite persisted in a folder, served over the wire
 * protocol on a loopback port, so the same postgres.js code runs against it.
 *
 * PGlite has a single session, shared by every socket connection (the socket server
 * runs one transaction at a time), and it ignores the user name a client logs in with.
 * So roles are taken on the session itself: the roles of roles.sql are created, the
 * migrations run as tenantry_owner, and the session then stays tenantry_app — not a
 * superuser, no BYPASSRLS — so row-level security holds exactly as in a cluster.
 */
export interface EmbeddedPostgres {
  url: string
  stop(): Promise<void>
}

const ROLES = new URL('../db/roles.sql', import.meta.url)
const MIGRATIONS = new URL('../db/migrations/', import.meta.url)

export async function startEmbeddedPostgres(
  dataDir: string,
  log: Logger,
): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const db = await PGlite.create(join(dataDir, 'pglite'))
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 20 })
  try {
    await db.exec(await readFile(ROLES, 'utf8'))
    // As in a cluster: the owner role owns the database and its public schema.
    await db.exec(
      'alter database postgres owner to tenantry_owner; alter schema public owner to tenantry_owner; set role tenantry_owner;',
    )
    await server.start()
    const url = `postgres://tenantry_app@${server.getServerConn()}/postgres`
    const owner = connect(url, { max: 1 })
    try {
      await migrate(owner, MIGRATIONS, log)
    } finally {
      await owner.end()
    }
    await db.exec('reset role; set role tenantry_app;')
    return {
      url,
      async stop() {
        await server.stop()
        await db.close()
      },
    }
  } catch (error) {
    await server.stop().catch(() => {})
    await db.close().catch(() => {})
    throw error
  }
}
