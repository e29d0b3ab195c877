import * as v from 'valibot'
import { loadEnv } from '#shared/env.ts'
import { createLogger, LOG_LEVELS } from '#shared/log.ts'
import { connect } from './client.ts'
import { MigrationError, migrate } from './migrate.ts'

/**
 * `npm run migrate`, and the cluster's migration Job (`node dist/migrate/index.mjs`):
 * apply the pending migrations as the owner role, progress on stderr, exit 0 when the
 * database is up to date and 1 otherwise.
 */

const env = loadEnv(
  v.object({
    DATABASE_URL: v.pipe(
      v.string('required, a postgres:// URL for the owner role'),
      v.regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL'),
      v.check(isUrl, 'must be a valid postgres:// or postgresql:// URL'),
    ),
    LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`), 'info'),
  }),
)

const log = createLogger('migrate', { level: env.LOG_LEVEL, destination: 2 })
// From source this is shared/db/migrations/; in the bundle, dist/migrate/migrations/.
const dir = new URL('./migrations/', import.meta.url)
const sql = connect(env.DATABASE_URL, { max: 1 })

try {
  await migrate(sql, dir, log)
} catch (error) {
  process.exitCode = 1
  if (error instanceof MigrationError) {
    log.fatal({ code: error.code, file: error.file }, error.message)
  } else {
    // Connection failures and the like: the message only (never the URL or a stack of it).
    const { message, code } = error as { message?: string; code?: string }
    log.fatal({ code }, `migration failed: ${message ?? String(error)}`)
  }
} finally {
  await sql.end({ timeout: 5 })
}

function isUrl(value: string): boolean {
  return URL.canParse(value)
}
