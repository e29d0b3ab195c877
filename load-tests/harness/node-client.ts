import type { Client, Request, Response } from '../lib/client.ts'
import { parseJson, text } from '../lib/json.ts'
import type { MetricStore, Tags } from './metric-store.ts'

/**
 * lib/client.ts on Node: fetch (undici, keep-alive) and Node's WebSocket, every sample
 * recorded in the run's MetricStore under k6's names and tags, so one threshold reads
 * the same here and in k6. One client per VU: its AbortSignal interrupts the VU (the
 * graceful ramp-down or stop ran out) — requests and sleeps then reject with
 * Interrupted, and its sockets close.
 */

export class Interrupted extends Error {
  override name = 'Interrupted'
  constructor() {
    super('the VU was interrupted')
  }
}

/** k6's default request timeout. */
const REQUEST_TIMEOUT_MS = 60_000

/** What a request's outcome tells the live progress line and the run's diagnostics. */
export interface RequestObserver {
  answered(durationMs: number, failed: boolean): void
  /** An answer the step did not expect: its route, status and the problem's code. */
  unexpected(route: string, status: number, code: string | undefined): void
}

export interface NodeClientOptions {
  baseUrl: string
  store: MetricStore
  signal: AbortSignal
  observer: RequestObserver
}

export function nodeClient({ baseUrl, store, signal, observer }: NodeClientOptions): Client {
  const wsBase = baseUrl.replace(/^http/, 'ws')
  const sockets = new Set<WebSocket>()
  signal.addEventListener('abort', () => {
    for (const ws of sockets) ws.close()
  })

  return {
    async request(request: Request): Promise<Response> {
      if (signal.aborted) throw new Interrupted()
      const headers: Record<string, string> = { ...request.headers }
      let body: string | undefined
      if (request.body !== undefined) {
        body = JSON.stringify(request.body)
        headers['content-type'] = 'application/json'
      }
      const started = performance.now()
      let status = 0
      let answerHeaders: Record<string, string> = {}
      let answerText = ''
      try {
        const res = await fetch(baseUrl + request.path, {
          method: request.method,
          headers,
          ...(body === undefined ? {} : { body }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
        })
        answerText = await res.text()
        status = res.status
        answerHeaders = Object.fromEntries(res.headers)
      } catch {
        // Interrupted by the run, not by the server: nothing to record. Otherwise refused,
        // reset or timed out: status 0, a failure like any other.
        if (signal.aborted) throw new Interrupted()
      }
      const durationMs = performance.now() - started
      const failed = !request.expect.includes(status)
      const tags: Tags = {
        route: request.route,
        method: request.method,
        status: String(status),
      }
      store.add('http_reqs', 1, tags)
      store.add('http_req_duration', durationMs, { ...tags, expected_response: String(!failed) })
      store.add('http_req_failed', failed ? 1 : 0, tags)
      const json = parseJson(answerText)
      observer.answered(durationMs, failed)
      if (failed) observer.unexpected(request.route, status, text(json, 'code'))
      return { status, headers: answerHeaders, json }
    },

    socket(path, route, handlers) {
      const started = performance.now()
      const tags: Tags = { route }
      const ws = new WebSocket(wsBase + path)
      sockets.add(ws)
      store.add('ws_sessions', 1, tags)
      ws.addEventListener('open', () => {
        store.add('ws_connecting', performance.now() - started, tags)
        handlers.open()
      })
      ws.addEventListener('message', (event) => {
        store.add('ws_msgs_received', 1, tags)
        handlers.message(typeof event.data === 'string' ? event.data : '')
      })
      ws.addEventListener('close', (event) => {
        sockets.delete(ws)
        handlers.close(event.code)
      })
      ws.addEventListener('error', () => handlers.error('socket error'))
      return {
        send(text) {
          store.add('ws_msgs_sent', 1, tags)
          ws.send(text)
        },
        close(code) {
          ws.close(code)
        },
      }
    },

    sleep(ms) {
      return new Promise((resolve, reject) => {
        if (signal.aborted) {
          reject(new Interrupted())
          return
        }
        const onAbort = () => {
          clearTimeout(timer)
          reject(new Interrupted())
        }
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        }, ms)
        signal.addEventListener('abort', onAbort, { once: true })
      })
    },

    timer(ms, fn) {
      const timer = setTimeout(fn, ms)
      return () => clearTimeout(timer)
    },

    now: () => performance.now(),

    check(name, ok, tags) {
      store.add('checks', ok ? 1 : 0, { ...tags, check: name })
      return ok
    },

    add(metric, value, tags) {
      store.add(metric, value, tags)
    },
  }
}
