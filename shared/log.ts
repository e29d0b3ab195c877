import { type DestinationStream, type Logger, pino } from 'pino'

/**
 * The one logger factory: pino, JSON lines, credentials redacted wherever they usually
 * appear (request and response headers, and any field named like a password or token at
 * the top level or one level down).
 */

export type { Logger }

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
]

export interface LoggerOptions {
  /** Default `info`. */
  level?: LogLevel
  /** A file descriptor (2 for stderr) or a stream; stdout by default. */
  destination?: number | DestinationStream
}

const SECRET_FIELDS = [
  'password',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'secret',
  'authorization',
  'cookie',
]

export const REDACT_PATHS: readonly string[] = [
  ...['req', 'request'].flatMap((at) => [
    `${at}.headers.authorization`,
    `${at}.headers.cookie`,
    `${at}.headers["proxy-authorization"]`,
  ]),
  ...['res', 'response'].map((at) => `${at}.headers["set-cookie"]`),
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
]

const CENSOR = '[redacted]'

/**
 * A child for lines built only from ids and numbers (the canonical request line): it
 * redacts the same top-level fields and header paths but skips the one-level-down
 * wildcards, which cost ~10 µs on every line, against ~3 µs for the whole line without.
 */
export function flatRedactionChild(log: Logger): Logger {
  const paths = REDACT_PATHS.filter((path) => !path.startsWith('*.'))
  return log.child({}, { redact: { paths, censor: CENSOR } })
}

/**
 * Stdout, written asynchronously: a write(2) per line on the request path cost ~25 µs
 * of a ~500 µs request, and a slow reader of the pipe (a busy log collector) would block
 * the event loop. pino flushes what is buffered when the process exits; past 16 MiB
 * waiting (a reader that has stopped) lines are dropped rather than growing memory.
 */
function stdoutDestination(): DestinationStream {
  return pino.destination({ fd: 1, sync: false, maxLength: 16 * 1024 * 1024 })
}

export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const { destination } = options
  const stream =
    typeof destination === 'number'
      ? pino.destination({ fd: destination, sync: true })
      : (destination ?? stdoutDestination())
  return pino(
    {
      name,
      level: options.level ?? 'info',
      redact: { paths: [...REDACT_PATHS], censor: CENSOR },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  )
}
