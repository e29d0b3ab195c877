import { parseDuration } from './duration.ts'
import type { Scale } from './stages.ts'

/**
 * What a run reads from its environment: k6's `__ENV` (`k6 run -e BASE_URL=…`, or the
 * shell's variables) or the harness's `process.env`, with the same names and defaults.
 */

export interface Settings {
  /** The API's origin, without a trailing slash. */
  baseUrl: string
  /** The machine client of the `config` scenario; `npm start`'s development client is `dev`. */
  clientId: string
  clientSecret: string | undefined
  /** The config the `config` scenario rewrites (with its own data, so nothing changes). */
  configService: string
}

export type Env = Readonly<Record<string, string | undefined>>

export const DEFAULT_BASE_URL = 'http://localhost:8080'

export function settingsFrom(env: Env): Settings {
  return {
    baseUrl: (env.BASE_URL || DEFAULT_BASE_URL).replace(/\/+$/, ''),
    clientId: env.CLIENT_ID || 'dev',
    clientSecret: env.CLIENT_SECRET || undefined,
    configService: env.CONFIG_SERVICE || 'features',
  }
}

/** k6's side of `--vus` / `--duration`: `k6 run -e VUS=50 -e DURATION=2m …`. */
export function scaleFrom(env: Env): Scale {
  const scale: Scale = {}
  if (env.VUS) {
    const vus = Number(env.VUS)
    if (!Number.isInteger(vus) || vus < 1) throw new Error(`VUS must be a whole number ≥ 1`)
    scale.vus = vus
  }
  if (env.DURATION) scale.durationMs = parseDuration(env.DURATION)
  return scale
}
