import type { Hono } from 'hono'
import type { AppEnv } from '#shared/http/app-env.ts'
import { functionApp } from '#shared/http/mount.ts'
import type { ConfigDeps } from './deps.ts'
import { configHistory } from './routes/config-history.ts'
import { getConfig } from './routes/get-config.ts'
import { listConfigs } from './routes/list-configs.ts'
import { putConfig } from './routes/put-config.ts'

/** The config function's route table. Machine tokens only. */
export const CONFIG_ROUTES = [listConfigs, getConfig, putConfig, configHistory]

/** The config function's app. Opens no sockets and reads no environment. */
export function createConfigApp(deps: ConfigDeps): Hono<AppEnv> {
  return functionApp(CONFIG_ROUTES, deps)
}
