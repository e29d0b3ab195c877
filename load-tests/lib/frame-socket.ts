import type { Client, RawSocket } from './client.ts'
import { isRecord, type Json, parseJson } from './json.ts'
import type { RouteName } from './routes.ts'

/**
 * A WebSocket of JSON text frames read one at a time with a deadline, on top of the
 * callbacks both tools give: frames queue up as they arrive (stamped with client.now()),
 * `next()` takes the oldest or waits for one. Timers are cancelled as soon as they are
 * not needed, since k6 keeps an iteration alive while a timer is pending.
 */

export type SocketEvent =
  | { kind: 'frame'; frame: Json; at: number }
  | { kind: 'closed'; code: number | undefined }
  | { kind: 'timeout' }

export interface FrameSocket {
  /** True once open; false when it closed, failed or timed out first. */
  opened: Promise<boolean>
  next(timeoutMs: number): Promise<SocketEvent>
  send(frame: Json): void
  /** Closes normally (1000) and waits, up to `timeoutMs`, for the close to complete. */
  close(timeoutMs?: number): Promise<void>
}

export function openFrameSocket(
  client: Client,
  path: string,
  route: RouteName,
  openTimeoutMs: number,
): FrameSocket {
  const queue: SocketEvent[] = []
  let waiter: ((event: SocketEvent) => void) | undefined
  let ended: { kind: 'closed'; code: number | undefined } | undefined
  let settleOpen: (open: boolean) => void = () => {}
  const opened = new Promise<boolean>((resolve) => {
    settleOpen = resolve
  })
  const deliver = (event: SocketEvent) => {
    const waiting = waiter
    waiter = undefined
    if (waiting) waiting(event)
    else queue.push(event)
  }
  const end = (code: number | undefined) => {
    if (ended) return
    cancelOpenTimer()
    settleOpen(false)
    ended = { kind: 'closed', code }
    deliver(ended)
  }
  const cancelOpenTimer = client.timer(openTimeoutMs, () => {
    settleOpen(false)
    raw.close()
  })
  const raw: RawSocket = client.socket(path, route, {
    open() {
      cancelOpenTimer()
      settleOpen(true)
    },
    message(data) {
      const frame = parseJson(data)
      // Not a JSON object: still a frame, one that no check accepts.
      deliver({ kind: 'frame', frame: isRecord(frame) ? frame : {}, at: client.now() })
    },
    close: end,
    // Both tools follow an error with a close, or never open; either way the socket is done.
    error: () => end(undefined),
  })

  const next = (timeoutMs: number): Promise<SocketEvent> => {
    const queued = queue.shift()
    if (queued) return Promise.resolve(queued)
    if (ended) return Promise.resolve(ended)
    return new Promise((resolve) => {
      const cancel = client.timer(timeoutMs, () => {
        waiter = undefined
        resolve({ kind: 'timeout' })
      })
      waiter = (event) => {
        cancel()
        resolve(event)
      }
    })
  }

  return {
    opened,
    next,
    send(frame) {
      if (!ended) raw.send(JSON.stringify(frame))
    },
    async close(timeoutMs = 2_000) {
      if (ended) return
      raw.close(1000)
      const deadline = client.now() + timeoutMs
      // Frames still arriving are dropped; only the close matters now.
      while (!ended && client.now() < deadline) {
        const event = await next(deadline - client.now())
        if (event.kind !== 'frame') break
      }
    },
  }
}
