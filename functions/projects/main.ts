import { startFunction } from '#shared/runtime/start-function.ts'
import { createProjectsApp } from './app.ts'

// The process entry: `node dist/projects/index.mjs`, or `npm run dev -- projects`.
await startFunction({
  name: 'projects',
  services: ['projects', 'ratelimits'],
  build: (deps) => createProjectsApp(deps),
})
