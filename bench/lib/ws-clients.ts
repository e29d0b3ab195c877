import { readFileSync } from 'node:fs'
import { WebSocket } from 'ws'

/**
 * WebSocket clients for `npm run bench:chat`, in the benchmark's own process: `ws`
 * clients with per-message deflate off (as the chat function's server), opened with at
 * most `window` handshakes in flight at a time so that the server's accept backlog is
 * never overrun, and held until `terminateAll()`. Every message is timestamped
 * (performance.now()) first thing in its handler, on the clock the sender used.
 */

export interface Target {
  url: string
  /** The `Authorization` header value (a bearer token), or undefined for none. */
  authorization?: string
}

/** A message on socket `index`, received at `at` (performance.now()). */
export type OnMessage = (index: number, data: string, at: number) => void

export class SocketPool {
  readonly sockets: WebSocket[] = []
  /** Sockets that closed after they had opened, by close code. */
  readonly closedAfterOpen = new Map<number, number>()
  #onMessage: OnMessage | undefined

  constructor(onMessage?: OnMessage) {
    this.#onMessage = onMessage
  }

  get size(): number {
    return this.sockets.length
  }

  /** Sockets that closed after opening (refused with a close code, or dropped). */
  get closed(): number {
    let n = 0
    for (const count of this.closedAfterOpen.values()) n += count
    return n
  }

  /**
   * Opens a socket per target, `window` handshakes at a time; resolves once every one is
   * open, in the targets' order (socket i is target i). Fails at the first that cannot.
   */
  async open(targets: readonly Target[], window: number): Promise<void> {
    const base = this.sockets.length
    let next = 0
    const worker = async () => {
      for (let i = next++; i < targets.length; i = next++) {
        const target = targets[i] as Target
        this.sockets[base + i] = await this.#openOne(target, base + i)
      }
    }
    await Promise.all(Array.from({ length: Math.min(window, targets.length) }, worker))
  }

  /** Drops every socket at once (no closing handshake); resolves once all have closed. */
  async terminateAll(): Promise<void> {
    const closing = this.sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) resolve()
          else {
            ws.once('close', () => resolve())
            ws.terminate()
          }
        }),
    )
    await Promise.all(closing)
    this.sockets.length = 0
  }

  #openOne(target: Target, index: number): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(target.url, {
        perMessageDeflate: false,
        handshakeTimeout: 30_000,
        ...(target.authorization ? { headers: { authorization: target.authorization } } : {}),
      })
      let opened = false
      const onMessage = this.#onMessage
      if (onMessage) {
        ws.on('message', (data, isBinary) => {
          const at = performance.now()
          onMessage(index, isBinary ? '' : String(data), at)
        })
      }
      ws.once('open', () => {
        opened = true
        resolve(ws)
      })
      ws.once('unexpected-response', (_request, response) => {
        reject(new Error(`${target.url}: HTTP ${response.statusCode} instead of an upgrade`))
        ws.terminate()
      })
      ws.on('error', (error) => {
        if (!opened) reject(new Error(`${target.url}: ${error.message}`))
      })
      ws.once('close', (code) => {
        if (!opened) reject(new Error(`${target.url}: closed ${code} before it opened`))
        else this.closedAfterOpen.set(code, (this.closedAfterOpen.get(code) ?? 0) + 1)
      })
    })
  }
}

/** A process's resident set (VmRSS), in KiB. */
export function rssKib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(match[1])
}

/** This process's limit on open files (the soft one), from /proc/self/limits. */
export function openFilesLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8')
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits)
  if (!match || match[1] === 'unlimited') return Number.POSITIVE_INFINITY
  return Number(match[1])
}

/** `<code> ×<n>` for each close code, for an error message. */
export function describeCloses(closes: ReadonlyMap<number, number>): string {
  return [...closes].map(([code, n]) => `${code} ×${n}`).join(', ')
}
