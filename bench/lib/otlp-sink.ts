import { createServer } from 'node:http'

/**
 * Side c's collector in `npm run bench:api`, as its own process so that receiving spans
 * costs neither the load generator nor the function: an OTLP/HTTP endpoint that reads
 * every export, counts its bytes and answers 200, as a collector does. GET /readyz for
 * startServer; GET /stats for what it received.
 *
 * Env: PORT.
 */

const port = Number(process.env.PORT)
if (!Number.isInteger(port)) {
  process.stderr.write('otlp-sink: PORT is required\n')
  process.exit(1)
}
let exports = 0
let bytes = 0

const server = createServer((request, response) => {
  if (request.method === 'GET') {
    const known = request.url === '/readyz' || request.url === '/stats'
    response.writeHead(known ? 200 : 404, { 'content-type': 'application/json' })
    response.end(known ? JSON.stringify({ exports, bytes }) : '')
    return
  }
  request.on('data', (chunk: Buffer) => {
    bytes += chunk.length
  })
  request.on('end', () => {
    exports += 1
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end('{}')
  })
})
server.listen(port, '127.0.0.1')
