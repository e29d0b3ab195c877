import { describe, expect, it } from 'vitest'
import { type NpmStart, startNpm, stopNpm, useDataDir } from '#test/harness/npm-start.ts'

/**
 * `npm start` under concurrent clients, as a load tester or a clients' suite meets it:
 * bursts of mixed requests against the real process on a fresh data directory. Nothing
 * may answer 5xx or drop a connection, the process must live on, and every 201 must be
 * there afterwards exactly once — before and after a restart on the same data.
 */

const dataDir = useDataDir()

interface Answer {
  status: number
  body: Record<string, unknown>
  replayed: boolean
}

/** One request; a connection error is returned as status 0 so that it is counted, not thrown. */
async function send(
  api: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  try {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      replayed: res.headers.get('idempotent-replayed') === 'true',
    }
  } catch (error) {
    return { status: 0, body: { error: String(error) }, replayed: false }
  }
}

/** Every item of a paginated list, following next_cursor. */
async function listAll(api: string, path: string, token: string): Promise<{ id: string }[]> {
  const items: { id: string }[] = []
  let cursor: string | null = null
  do {
    const page = await send(
      api,
      'GET',
      `${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      token,
    )
    expect(page.status, JSON.stringify(page.body)).toBe(200)
    items.push(...(page.body.items as { id: string }[]))
    cursor = page.body.next_cursor as string | null
  } while (cursor)
  return items
}

interface Guest {
  token: string
  userId: string
}

async function signIn(api: string): Promise<Guest> {
  const res = await send(api, 'POST', '/v1/auth/guest')
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return {
    token: res.body.access_token as string,
    userId: (res.body.user as { id: string }).id,
  }
}

/**
 * One burst of 200 requests sent at once: 10 sign-ins, 50 org creates (keyed, keyed twice
 * with the same key, unkeyed), 50 project creates (likewise), 15 invites, 15 accepts,
 * and 60 reads. Returns what the 201s promised, per owner.
 */
async function burst(api: string, round: string) {
  // Owners with an org each and invites to accept: set up first, since the burst's
  // project creates and accepts need them. 10 + 10 sign-ins stay under the 30 per minute
  // a client address may make.
  const owners = await Promise.all(Array.from({ length: 10 }, () => signIn(api)))
  const orgs: string[] = []
  for (const owner of owners) {
    const org = await send(api, 'POST', '/v1/orgs', owner.token, { name: `Setup ${round}` })
    expect(org.status, JSON.stringify(org.body)).toBe(201)
    orgs.push(org.body.id as string)
  }
  const codes: string[] = []
  for (let i = 0; i < 15; i++) {
    const invite = await send(
      api,
      'POST',
      `/v1/orgs/${orgs[i % 10]}/invites`,
      owners[i % 10]?.token,
      {},
    )
    expect(invite.status, JSON.stringify(invite.body)).toBe(201)
    codes.push(invite.body.code as string)
  }

  const requests: { kind: string; owner: number; promise: Promise<Answer> }[] = []
  const add = (kind: string, owner: number, promise: Promise<Answer>) =>
    requests.push({ kind, owner, promise })
  const token = (i: number) => owners[i % 10]?.token as string
  for (let i = 0; i < 10; i++) add('sign-in', -1, send(api, 'POST', '/v1/auth/guest'))
  // 20 with a key of their own, 20 in pairs sharing a key (the same caller and body, as
  // a retry sends), 10 without a key.
  const keyed = (i: number, what: string) => {
    const paired = i >= 20 && i < 40
    return {
      owner: paired ? Math.floor(i / 2) % 10 : i % 10,
      key:
        i < 20
          ? `${round}-${what}-${i}`
          : paired
            ? `${round}-${what}-pair-${Math.floor(i / 2)}`
            : undefined,
      name: paired ? `${what} ${round} pair ${Math.floor(i / 2)}` : `${what} ${round} ${i}`,
    }
  }
  for (let i = 0; i < 50; i++) {
    const { owner, key, name } = keyed(i, 'org')
    const headers: Record<string, string> = key ? { 'idempotency-key': key } : {}
    add('org', owner, send(api, 'POST', '/v1/orgs', token(owner), { name }, headers))
  }
  for (let i = 0; i < 50; i++) {
    const { owner, key, name } = keyed(i, 'project')
    const headers: Record<string, string> = key ? { 'idempotency-key': key } : {}
    const path = `/v1/orgs/${orgs[owner]}/projects`
    add('project', owner, send(api, 'POST', path, token(owner), { name }, headers))
  }
  for (let i = 0; i < 15; i++) {
    add(
      'invite',
      i % 10,
      send(api, 'POST', `/v1/orgs/${orgs[i % 10]}/invites`, token(i), { role: 'member' }),
    )
  }
  for (let i = 0; i < 15; i++) {
    // Each code is accepted by an owner of another org.
    add('accept', (i + 1) % 10, send(api, 'POST', `/v1/invites/${codes[i]}/accept`, token(i + 1)))
  }
  for (let i = 0; i < 20; i++) add('read', i % 10, send(api, 'GET', '/v1/orgs', token(i)))
  for (let i = 0; i < 20; i++)
    add('read', i % 10, send(api, 'GET', `/v1/orgs/${orgs[i % 10]}`, token(i)))
  for (let i = 0; i < 20; i++) {
    add('read', i % 10, send(api, 'GET', `/v1/orgs/${orgs[i % 10]}/projects`, token(i)))
  }
  expect(requests.length).toBe(200)
  const answers = await Promise.all(requests.map(async (r) => ({ ...r, answer: await r.promise })))
  return { owners, orgs, answers }
}

function expectNoServerErrors(answers: { kind: string; answer: Answer }[]): void {
  const bad = answers.filter((a) => a.answer.status === 0 || a.answer.status >= 500)
  expect(bad.map((a) => `${a.kind} ${a.answer.status} ${JSON.stringify(a.answer.body)}`)).toEqual(
    [],
  )
}

/** After a burst: each 201 (a replay counts as its first) is there once, and nothing else is. */
async function expectCountsMatch(api: string, result: Awaited<ReturnType<typeof burst>>) {
  const created = (kind: string, owner: number) =>
    new Set(
      result.answers
        .filter((a) => a.kind === kind && a.owner === owner && a.answer.status === 201)
        .map((a) => a.answer.body.id as string),
    )
  for (let owner = 0; owner < 10; owner++) {
    const guest = result.owners[owner] as Guest
    const orgIds = new Set((await listAll(api, '/v1/orgs', guest.token)).map((o) => o.id))
    // Their setup org, the orgs they created in the burst, and the org they joined.
    const joined = result.answers
      .filter((a) => a.kind === 'accept' && a.owner === owner && a.answer.status === 200)
      .map((a) => a.answer.body.org_id as string)
    const expected = new Set([result.orgs[owner] as string, ...created('org', owner), ...joined])
    expect([...orgIds].sort(), `orgs of owner ${owner}`).toEqual([...expected].sort())
    const projectIds = (
      await listAll(api, `/v1/orgs/${result.orgs[owner]}/projects`, guest.token)
    ).map((p) => p.id)
    expect(projectIds.sort(), `projects of org ${owner}`).toEqual(
      [...created('project', owner)].sort(),
    )
  }
  // Keys shared by two requests: one side effect, the other a replay or 409 in use.
  for (const kind of ['org', 'project']) {
    const answers = result.answers.filter((a) => a.kind === kind).map((a) => a.answer)
    for (let pair = 10; pair < 20; pair++) {
      const [a, b] = [answers[pair * 2], answers[pair * 2 + 1]] as [Answer, Answer]
      const outcomes = [a, b].map((x) => (x.replayed ? 'replay' : `${x.status}`)).sort()
      expect(['201,201', '201,replay', '201,409'], `${kind} pair ${pair}: ${outcomes}`).toContain(
        outcomes.join(','),
      )
      if (a.status === 201 && b.status === 201) expect(a.body.id).toBe(b.body.id)
    }
  }
}

async function expectHealthy(running: NpmStart): Promise<void> {
  expect(running.child.exitCode, running.output()).toBeNull()
  expect((await fetch(`${running.url}/healthz`)).status).toBe(200)
}

describe('npm start under concurrent clients', () => {
  it('answers a burst of 200 mixed requests without a 5xx, and again after a restart', async () => {
    const first = await startNpm({ dataDir: dataDir() })
    let before: Awaited<ReturnType<typeof burst>>
    try {
      before = await burst(first.url, 'a')
      expectNoServerErrors(before.answers)
      await expectHealthy(first)
      await expectCountsMatch(first.url, before)
    } finally {
      expect(await stopNpm(first), first.output()).toBe(0)
    }

    const second = await startNpm({ dataDir: dataDir(), port: first.port })
    try {
      // What the first process promised is still there, exactly.
      await expectCountsMatch(second.url, before)
      const after = await burst(second.url, 'b')
      expectNoServerErrors(after.answers)
      await expectHealthy(second)
      await expectCountsMatch(second.url, after)
    } finally {
      expect(await stopNpm(second), second.output()).toBe(0)
    }
    expect(second.output()).not.toMatch(/"level":"(error|fatal)"/)
  })

  it('creates exactly one org for 8 concurrent creates with the same Idempotency-Key', async () => {
    const running = await startNpm({ dataDir: dataDir() })
    try {
      for (let round = 0; round < 3; round++) {
        const guest = await signIn(running.url)
        const headers = { 'idempotency-key': `same-${round}` }
        const answers = await Promise.all(
          Array.from({ length: 8 }, () =>
            send(running.url, 'POST', '/v1/orgs', guest.token, { name: 'Acme' }, headers),
          ),
        )
        const outcomes = answers.map((a) =>
          a.status === 201 ? (a.replayed ? 'replay' : 'created') : `${a.status} ${a.body.code}`,
        )
        expect(
          outcomes.filter((o) => o === 'created'),
          outcomes.join(', '),
        ).toHaveLength(1)
        for (const outcome of outcomes) {
          expect(['created', 'replay', '409 IDEMPOTENCY_KEY_IN_USE']).toContain(outcome)
        }
        const ids = new Set(answers.filter((a) => a.status === 201).map((a) => a.body.id))
        expect(ids.size).toBe(1)
        expect(await listAll(running.url, '/v1/orgs', guest.token)).toHaveLength(1)
      }
      await expectHealthy(running)
    } finally {
      expect(await stopNpm(running), running.output()).toBe(0)
    }
  })
})
