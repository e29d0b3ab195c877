import { startFunction } from '#shared/runtime/start-function.ts'
import { projects } from './function.ts'

// The process: `node dist/projects/index.mjs`, whose loader calls main(), or
// `npm run dev -- projects`, which runs this file as the main module.
export const main = (): Promise<void> => startFunction(projects)

if (import.meta.main) await main()
