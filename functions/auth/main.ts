import { startFunction } from '#shared/runtime/start-function.ts'
import { auth } from './function.ts'

// The process: `node dist/auth/index.mjs`, whose loader calls main(), or
// `npm run dev -- auth`, which runs this file as the main module.
export const main = (): Promise<void> => startFunction(auth)

if (import.meta.main) await main()
