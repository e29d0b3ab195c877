import { defineFunction, SCALE_TO_ZERO } from '#shared/runtime/definition.ts'
import { createProjectsApp, PROJECTS_ROUTES } from './app.ts'

/** The projects function: projects inside orgs, with the org's quota from config. */
export const projects = defineFunction({
  name: 'projects',
  description: 'Projects inside orgs',
  services: ['projects', 'ratelimits'],
  routes: PROJECTS_ROUTES,
  paths: [
    { type: 'RegularExpression', value: '/v1/orgs/[^/]+/projects/?' },
    { type: 'PathPrefix', value: '/v1/projects' },
  ],
  profile: SCALE_TO_ZERO,
  prepare: (deps) => deps,
  build: createProjectsApp,
})
