import { createServer } from 'node:http'
import { duplexPair } from 'node:stream'

/**
 * Runs Node's HTTP server code once, on an in-memory connection to a throwaway server, so
 * that V8 compiles it now rather than during the function's first request (~2 ms of a cold
 * start). Nothing leaves the process and nothing is logged or counted: the function's own
 * server, app and middleware are not involved. Resolves with whether a 200 came back; it
 * never rejects, since a failed warm-up only means a slower first request.
 */
export function warmHttpServer(): Promise<boolean> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' })
    response.end('{}')
  })
  const [serverSide, clientSide] = duplexPair()
  return new Promise((resolve) => {
    let answer = ''
    const done = () => {
      clientSide.destroy()
      serverSide.destroy()
      resolve(answer.startsWith('HTTP/1.1 200 '))
    }
    serverSide.on('error', done)
    clientSide.on('error', done)
    clientSide.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1')
    })
    clientSide.once('end', done)
    server.emit('connection', serverSide)
    clientSide.end('GET /warm-up HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n')
  })
}
