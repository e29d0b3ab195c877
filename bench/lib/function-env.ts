import { TEST_AUDIENCE, TEST_ISSUER } from '#test/harness/auth.ts'

/**
 * The environment a benchmark gives a function process: the app role's database URL, the
 * test token issuer and JWKS, a fixed cursor secret (replicas must share one), and
 * whatever the benchmark adds (REDIS_URL, the reconcile period, …).
 */
export function functionEnv(options: {
  port: number
  databaseUrl: string
  jwksUrl: string
  logLevel: string
  extra?: Record<string, string>
}): Record<string, string> {
  return {
    PORT: String(options.port),
    DATABASE_URL: options.databaseUrl,
    AUTH_ISSUER: TEST_ISSUER,
    AUTH_AUDIENCE: TEST_AUDIENCE,
    AUTH_JWKS_URL: options.jwksUrl,
    CURSOR_SECRET: 'bench-cursor-secret-'.padEnd(40, 'x'),
    LOG_LEVEL: options.logLevel,
    ...options.extra,
  }
}
