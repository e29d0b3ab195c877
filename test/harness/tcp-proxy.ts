import { type AddressInfo, connect, createServer, type Socket } from 'node:net'

/**
 * A TCP proxy in front of a server (PostgreSQL, Redis), for the network faults a test
 * needs to happen at an exact moment: `delayMs` holds what clients send, like a slow
 * link; `drop()` closes every connection through it, `reset()` aborts the clients' side
 * with a TCP RST, as a load balancer or a dead node does; between `refuse()` and
 * `accept()` a new connection is aborted at once, as while the server restarts.
 */
export interface TcpProxy {
  /** `target` with its host and port replaced by the proxy's. */
  url: string
  drop(): void
  reset(): void
  refuse(): void
  accept(): void
  close(): Promise<void>
}

export async function tcpProxy(target: string, options: { delayMs?: number } = {}) {
  const to = new URL(target)
  const clients = new Set<Socket>()
  const sockets = new Set<Socket>()
  let refusing = false
  const server = createServer((client) => {
    if (refusing) return client.resetAndDestroy()
    const upstream = connect(Number(to.port), to.hostname)
    clients.add(client)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {}) // a cut connection; 'close' below tears down its pair
      socket.on('close', () => {
        sockets.delete(socket)
        clients.delete(socket)
        client.destroy()
        upstream.destroy()
      })
    }
    const delayMs = options.delayMs ?? 0
    if (delayMs > 0) client.on('data', (chunk) => setTimeout(() => upstream.write(chunk), delayMs))
    else client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = new URL(to)
  url.hostname = '127.0.0.1'
  url.port = String((server.address() as AddressInfo).port)
  const drop = () => {
    for (const socket of sockets) socket.destroy()
  }
  return {
    url: url.href,
    drop,
    reset: () => {
      for (const client of clients) client.resetAndDestroy()
    },
    refuse: () => {
      refusing = true
    },
    accept: () => {
      refusing = false
    },
    close: () => {
      drop()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  } satisfies TcpProxy
}
