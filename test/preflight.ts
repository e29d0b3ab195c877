import { missingServers, type Probe } from './harness/servers.ts'

/**
 * Runs before vitest (`npm test`): when the tests could not find a PostgreSQL and a Redis,
 * the one message saying how to provide them is the only thing printed, and the run
 * fails, instead of vitest's "no tests" summary and a stack trace.
 * TENANTRY_TEST_PROBE=nothing pretends the machine has no servers (the test of this).
 */
const nothing: Probe = {
  dockerAnswers: async () => false,
  postgresBinDir: () => undefined,
  redisBinary: () => undefined,
}
const { missing, message } = await missingServers(
  process.env,
  process.env.TENANTRY_TEST_PROBE === 'nothing' ? nothing : undefined,
)
if (missing.length > 0) {
  process.stderr.write(`${message}\n`)
  process.exit(1)
}
