import { check } from 'k6'
import http from 'k6/http'
import { Counter, Rate, Trend } from 'k6/metrics'
import { clearTimeout, setTimeout } from 'k6/timers'
import { WebSocket } from 'k6/websockets'
import type { Client, Response } from '../lib/client.ts'
import { parseJson } from '../lib/json.ts'
import { CUSTOM_METRICS, type CustomMetricName } from '../lib/metrics.ts'
import type { Settings } from '../lib/settings.ts'

/**
 * lib/client.ts on k6: `http.asyncRequest` with the step's expected statuses as the
 * response callback (so `http_req_failed` means what it means in the harness), the
 * route as both the `route` and the `name` tag, `k6/websockets` for the chat, timers
 * from `k6/timers`, and the custom metrics declared here, in the init context.
 */

type Sink = { add(value: number, tags?: Record<string, string>): void }

const sinks = {} as Record<CustomMetricName, Sink>
for (const [name, spec] of Object.entries(CUSTOM_METRICS)) {
  const metric = name as CustomMetricName
  if (spec.kind === 'counter') sinks[metric] = new Counter(metric)
  else if (spec.kind === 'rate') sinks[metric] = new Rate(metric)
  else sinks[metric] = new Trend(metric, spec.time)
}

export function k6Client(settings: Settings): Client {
  const wsBase = settings.baseUrl.replace(/^http/, 'ws')
  return {
    async request(request) {
      const headers: Record<string, string> = { ...request.headers }
      let body: string | null = null
      if (request.body !== undefined) {
        body = JSON.stringify(request.body)
        headers['Content-Type'] = 'application/json'
      }
      const res = await http.asyncRequest(request.method, settings.baseUrl + request.path, body, {
        headers,
        tags: { route: request.route, name: request.route },
        responseCallback: http.expectedStatuses(...request.expect),
        timeout: '60s',
      })
      const lower: Record<string, string> = {}
      for (const [name, value] of Object.entries(res.headers)) lower[name.toLowerCase()] = value
      const json = typeof res.body === 'string' ? parseJson(res.body) : undefined
      const answer: Response = { status: res.status, headers: lower, json }
      return answer
    },
    socket(path, route, handlers) {
      const ws = new WebSocket(wsBase + path, null, { tags: { route, name: route } })
      ws.addEventListener('open', () => handlers.open())
      ws.addEventListener('message', (event) => {
        const data = 'data' in event ? event.data : undefined
        handlers.message(typeof data === 'string' ? data : '')
      })
      ws.addEventListener('close', (event) => {
        const code = (event as { code?: unknown }).code
        handlers.close(typeof code === 'number' ? code : undefined)
      })
      ws.addEventListener('error', (event) => {
        handlers.error('error' in event ? String(event.error) : 'socket error')
      })
      return {
        send: (text) => ws.send(text),
        close: (code) => ws.close(code),
      }
    },
    sleep(ms) {
      return new Promise((resolve) => {
        setTimeout(resolve, ms)
      })
    },
    timer(ms, fn) {
      const id = setTimeout(fn, ms)
      return () => clearTimeout(id)
    },
    now: () => Date.now(),
    check(name, ok, tags) {
      return check(null, { [name]: () => ok }, tags)
    },
    add(metric, value, tags) {
      sinks[metric].add(value, tags)
    },
  }
}
