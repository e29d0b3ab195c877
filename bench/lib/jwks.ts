import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onCleanup } from './cleanup.ts'

/**
 * A stand-in for the auth function's `/.well-known/jwks.json` on 127.0.0.1, serving a
 * fixed key set (as functions/projects/main.test.ts does); closed at cleanup.
 */
export async function serveJwks(jwks: unknown): Promise<string> {
  const body = JSON.stringify(jwks)
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onCleanup('close the JWKS server', () => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
}
