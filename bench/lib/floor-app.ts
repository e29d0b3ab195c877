import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { connect } from '#shared/db/client.ts'

/**
 * The floor row of `npm run bench:coldstart`: the least a function on this stack could do
 * before it is ready. It loads Hono, @hono/node-server and postgres.js, runs the config
 * query once through the shared pool settings, listens, and answers /readyz. It has no
 * environment check, logger, metrics, token verifier, config validation or routes.
 * coldstart.ts bundles it (esbuild, one CommonJS file) and starts it the way it starts
 * the function, so the gap between the two rows is what the function's own start adds.
 *
 * Env: PORT, DATABASE_URL.
 */

async function main(): Promise<void> {
  const sql = connect(process.env.DATABASE_URL ?? '')
  const app = new Hono()
  app.get('/readyz', (c) => c.json({ status: 'ready' }))
  await sql`select service, version, data from service_configs`
  serve({ fetch: app.fetch, port: Number(process.env.PORT) })
}

// A CommonJS bundle has no top-level await.
void main()
