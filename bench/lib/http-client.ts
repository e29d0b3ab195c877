import http from 'node:http'

/**
 * The load generator's HTTP side: node:http with a keep-alive agent (one connection per
 * worker of the closed loop, reused), GET only, 127.0.0.1 only.
 */

export interface KeepAliveClient {
  /** GET path; resolves with status and body. */
  get(path: string, headers?: http.OutgoingHttpHeaders): Promise<{ status: number; body: string }>
  /** Closes every connection. */
  close(): void
}

export function keepAliveClient(port: number, maxSockets: number): KeepAliveClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets })
  return {
    get(path, headers) {
      return new Promise((resolve, reject) => {
        const request = http.get(
          { host: '127.0.0.1', port, path, agent, ...(headers ? { headers } : {}) },
          (response) => {
            let body = ''
            response.setEncoding('utf8')
            response.on('data', (chunk: string) => (body += chunk))
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
            response.on('error', reject)
          },
        )
        request.on('error', reject)
      })
    },
    close() {
      agent.destroy()
    },
  }
}
