import { startFunction } from '#shared/runtime/start-function.ts'
import { chat } from './function.ts'

// The process: `node dist/chat/index.mjs`, whose loader calls main(), or
// `npm run dev -- chat`, which runs this file as the main module.
export const main = (): Promise<void> => startFunction(chat)

if (import.meta.main) await main()
