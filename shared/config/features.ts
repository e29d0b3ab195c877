import type { ConfigReader } from './cache.ts'

/**
 * Feature flags: the `features` config's `flags`, read per request through the config
 * cache, so a flag flipped with `PUT /v1/configs/features` applies on every replica at
 * once (hot reload). Handlers ask by name, and only names declared here type-check; a
 * flag the config does not set has its default.
 */
export const FEATURE_DEFAULTS = {
  /** Guest sign-in is open. An operator turns it off to stop sign-ups during abuse. */
  guest_signin: true,
} as const satisfies Record<string, boolean>

export type FeatureFlag = keyof typeof FEATURE_DEFAULTS

export function featureEnabled(config: ConfigReader<'features'>, flag: FeatureFlag): boolean {
  const flags: Readonly<Record<string, boolean>> = config.get('features').flags
  return Object.hasOwn(flags, flag) ? (flags[flag] as boolean) : FEATURE_DEFAULTS[flag]
}
