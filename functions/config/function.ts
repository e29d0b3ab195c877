import { defineFunction, SCALE_TO_ZERO } from '#shared/runtime/definition.ts'
import { CONFIG_ROUTES, createConfigApp } from './app.ts'

/**
 * The config function: reads and writes every service's config (DESIGN.md §4) for
 * machine clients. A write commits in SQL, then hints every replica to reload.
 */
export const config = defineFunction({
  name: 'config',
  description: 'Service configs: read, write with If-Match, history; hot-reload hints',
  services: ['ratelimits'],
  routes: CONFIG_ROUTES,
  paths: [{ type: 'PathPrefix', value: '/v1/configs' }],
  // Written to by operators and pipelines, rarely: a couple of replicas are plenty.
  profile: { ...SCALE_TO_ZERO, maxScale: 3 },
  prepare: (deps) => deps,
  build: createConfigApp,
})
