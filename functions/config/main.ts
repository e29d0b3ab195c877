import { startFunction } from '#shared/runtime/start-function.ts'
import { config } from './function.ts'

// The process: `node dist/config/index.mjs`, whose loader calls main(), or
// `npm run dev -- config`, which runs this file as the main module.
export const main = (): Promise<void> => startFunction(config)

if (import.meta.main) await main()
