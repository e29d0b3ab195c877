import { startFunction } from '#shared/runtime/start-function.ts'
import { createProjectsApp } from './app.ts'

// The process: `node dist/projects/index.mjs`, whose loader calls main(), or
// `npm run dev -- projects`, which runs this file as the main module.
export const main = (): Promise<void> =>
  startFunction({
    name: 'projects',
    services: ['projects', 'ratelimits'],
    build: (deps) => createProjectsApp(deps),
  })

if (import.meta.main) await main()
