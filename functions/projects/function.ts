import { defineFunction } from '#shared/runtime/definition.ts'
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
  profile: {
    minScale: 0,
    maxScale: 20,
    target: 80,
    containerConcurrency: 100,
    timeoutSeconds: 30,
    responseStartTimeoutSeconds: 10,
    idleTimeoutSeconds: 30,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
  },
  prepare: (deps) => deps,
  build: createProjectsApp,
})
