import { createServer, type ServerResponse } from 'node:http'
import { connect } from '#shared/db/client.ts'

/**
 * Side a of `npm run bench:api`, run as its own process: a bare node:http server that
 * reads a project by primary key with postgres.js (the shared connect(): same pool
 * settings as the functions) and answers its row as JSON. No framework, no token, no
 * transaction; DATABASE_URL is a role that sees rows without context (the superuser).
 *
 *   GET /projects/<uuid>  → 200 the row, 404 when there is none
 *   GET /readyz           → 200 once a first query has run
 *
 * Env: PORT, DATABASE_URL, POOL_MAX (default 10, the functions' pool size).
 */

const port = Number(process.env.PORT)
const databaseUrl = process.env.DATABASE_URL
if (!databaseUrl || !Number.isInteger(port)) {
  process.stderr.write('bare-server: PORT and DATABASE_URL are required\n')
  process.exit(1)
}
const sql = connect(databaseUrl, { max: Number(process.env.POOL_MAX ?? 10) })
const PROJECT = /^\/projects\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/
let ready = false

function json(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  })
  response.end(body)
}

const server = createServer(async (request, response) => {
  if (request.url === '/readyz') {
    json(response, ready ? 200 : 503, { status: ready ? 'ready' : 'starting' })
    return
  }
  const id = request.method === 'GET' ? PROJECT.exec(request.url ?? '')?.[1] : undefined
  if (!id) {
    json(response, 404, { status: 404 })
    return
  }
  try {
    const [row] = await sql`
      select id, org_id, name, description, created_at, updated_at from projects where id = ${id}`
    if (row) json(response, 200, row)
    else json(response, 404, { status: 404 })
  } catch (error) {
    json(response, 500, { status: 500, detail: error instanceof Error ? error.message : '' })
  }
})

server.listen(port, '127.0.0.1')
await sql`select 1`
ready = true

process.once('SIGTERM', async () => {
  server.close()
  server.closeAllConnections()
  await sql.end({ timeout: 2 })
  process.exit(0)
})
