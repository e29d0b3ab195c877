import { describe, expect, it } from 'vitest'
import { API_JOURNEY_ROUTES, apiJourney } from '../lib/api-journey.ts'
import type { Client, Request, Response } from '../lib/client.ts'
import { LIMIT_SHARE } from '../lib/pacer.ts'
import { settingsFrom } from '../lib/settings.ts'
import { newVuState } from '../lib/vu.ts'

/**
 * The main journey against an in-memory API on a virtual clock (sleep advances it, a
 * request takes 1 ms): what it sends, and that one VU stays under the per-user limit the
 * API advertises, so a correct server never has reason to answer it 429.
 */

interface Sent {
  at: number
  request: Request
}

function fakeApi(policy = '"authenticated";q=600;w=60') {
  let clock = 0
  const sent: Sent[] = []
  const added: { metric: string; value: number }[] = []
  const failedChecks: string[] = []
  const orgs = new Map<string, string[]>()
  let signIns = 0
  let refreshes = 0
  let ids = 0
  const pair = () => ({
    access_token: `at-${++ids}`,
    refresh_token: `rt-${ids}`,
    expires_in: 900,
    user: { id: 'user-1', handle: 'guest-1' },
  })
  const answer = (status: number, json?: unknown, headers: Record<string, string> = {}) => ({
    status,
    json,
    headers: { 'ratelimit-policy': policy, ...headers },
  })
  const route = (request: Request): Response => {
    const { method, path } = request
    if (path === '/v1/auth/guest') {
      signIns++
      return signIns === 1
        ? answer(429, { code: 'RATE_LIMITED' }, { 'retry-after': '7' })
        : answer(201, pair())
    }
    if (path === '/v1/auth/refresh') {
      refreshes++
      return answer(200, pair())
    }
    if (method === 'POST' && path === '/v1/orgs') {
      const id = `org-${++ids}`
      orgs.set(id, [])
      return answer(201, { id, status: 'committed', role: 'owner' })
    }
    if (method === 'GET' && path.startsWith('/v1/orgs?')) {
      return answer(200, { items: [...orgs.keys()].map((id) => ({ id })), next_cursor: null })
    }
    const match = /^\/v1\/orgs\/([^/?]+)(\/projects)?/.exec(path)
    const projects = match ? orgs.get(match[1] as string) : undefined
    if (!match || !projects) return answer(404)
    if (method === 'DELETE') {
      orgs.delete(match[1] as string)
      return answer(204)
    }
    if (method === 'POST') {
      const id = `project-${++ids}`
      projects.push(id)
      return answer(201, { id, org_id: match[1] })
    }
    return answer(200, { items: projects.map((id) => ({ id })), next_cursor: null })
  }
  const client: Client = {
    async request(request) {
      sent.push({ at: clock, request })
      clock += 1
      return route(request)
    },
    socket() {
      throw new Error('no sockets here')
    },
    async sleep(ms) {
      clock += ms
    },
    timer() {
      return () => {}
    },
    now: () => clock,
    check(name, ok) {
      if (!ok) failedChecks.push(name)
      return ok
    },
    add(metric, value) {
      added.push({ metric, value })
    },
  }
  return {
    client,
    sent,
    added,
    failedChecks,
    orgs,
    counts: () => ({ signIns, refreshes }),
  }
}

/** The most authenticated requests in any window of `windowMs`. */
function busiestWindow(sent: readonly Sent[], windowMs: number): number {
  const times = sent.filter((s) => s.request.headers?.Authorization).map((s) => s.at)
  let most = 0
  for (let i = 0, j = 0; j < times.length; j++) {
    while ((times[j] as number) - (times[i] as number) >= windowMs) i++
    most = Math.max(most, j - i + 1)
  }
  return most
}

describe('the main journey', () => {
  it('signs in once, waits out a sign-in 429, and cleans up what it made', async () => {
    const api = fakeApi()
    const ctx = { client: api.client, settings: settingsFrom({}) }
    const vu = newVuState()
    for (let i = 0; i < 30; i++) await apiJourney(ctx, vu)

    expect(api.failedChecks).toEqual([])
    expect(api.counts()).toEqual({ signIns: 2, refreshes: 30 })
    expect(api.added).toEqual([{ metric: 'rate_limited', value: 1 }])
    const retry = api.sent.filter((s) => s.request.path === '/v1/auth/guest')
    expect((retry[1] as Sent).at - (retry[0] as Sent).at).toBeGreaterThanOrEqual(7_000)
    expect(api.orgs.size).toBe(0)
    const routes = new Set(api.sent.map((s) => s.request.route))
    expect([...routes].sort()).toEqual([...API_JOURNEY_ROUTES].sort())
    // Everything the journey sends carries the statuses it expects, and a bearer token
    // wherever the API counts requests per user.
    for (const { request } of api.sent) {
      expect(request.expect.length, request.route).toBeGreaterThan(0)
      const open = request.path.startsWith('/v1/auth/')
      expect(Boolean(request.headers?.Authorization), request.route).toBe(!open)
    }
  })

  it('keeps one user under the per-user limit the API advertises', async () => {
    for (const [policy, limit] of [
      ['"authenticated";q=600;w=60', 600],
      ['"authenticated";q=60;w=60', 60],
    ] as const) {
      const api = fakeApi(policy)
      const ctx = { client: api.client, settings: settingsFrom({}) }
      const vu = newVuState()
      while (api.client.now() < 180_000) await apiJourney(ctx, vu)
      const busiest = busiestWindow(api.sent, 60_000)
      expect(busiest, policy).toBeLessThanOrEqual(Math.ceil(limit * LIMIT_SHARE) + 1)
      // …and uses most of that share, so the load is what the plan says.
      expect(busiest, policy).toBeGreaterThan(limit * LIMIT_SHARE * 0.9)
    }
  })

  it('shares a machine client between the VUs that use it', async () => {
    const api = fakeApi()
    const ctx = { client: api.client, settings: settingsFrom({}) }
    const vu = newVuState(4)
    while (api.client.now() < 120_000) await apiJourney(ctx, vu)
    const busiest = busiestWindow(api.sent, 60_000)
    expect(busiest).toBeLessThanOrEqual(Math.ceil((600 * LIMIT_SHARE) / 4) + 1)
  })
})
