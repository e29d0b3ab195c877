import { startFunction } from '#shared/runtime/start-function.ts'
import { orgs } from './function.ts'

// The process: `node dist/orgs/index.mjs`, whose loader calls main(), or
// `npm run dev -- orgs`, which runs this file as the main module.
export const main = (): Promise<void> => startFunction(orgs)

if (import.meta.main) await main()
