import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it, vi } from 'vitest'
import { createTestAuth } from '#test/harness/auth.ts'
import { Client, openEvents, startChatServer, useChatServer } from '#test/harness/chat-server.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { chatOwner as fixtureChatOwner, type UserRow } from '#test/harness/fixtures.ts'
import { MAX_CLIENT_FRAME_BYTES } from './lib/frames.ts'

/**
 * The chat's streams end to end (API.md "chat"): real WebSocket and SSE clients against
 * serve() with the `ws` server, on the test database and the run's Redis. Every frame,
 * every close code, resume, tickets, heartbeats, backpressure and drain.
 */

const db = useTestDatabase()
const kit = useChatServer(db, {
  hub: { maxBufferedBytes: 256 * 1024 },
  socket: { pingIntervalMs: 150, closeGraceMs: 5_000 },
  events: { heartbeatMs: 150 },
})

/** A user with an active chat in a project of their own org. */
const chatOwner = () => fixtureChatOwner(db.admin)

const bearer = (user: UserRow) => kit.auth.bearer(user)
const wsPath = (chatId: string, query = '') => `${kit.server.wsUrl}/v1/chats/${chatId}/ws${query}`

async function connect(user: UserRow, chatId: string, query = '') {
  const client = new Client(wsPath(chatId, query), { authorization: await bearer(user) })
  await client.opened
  return client
}

async function closeCount(code: number): Promise<number> {
  const values = (await kit.server.metrics.getSingleMetric('chat_stream_closes_total')?.get())
    ?.values
  return (values ?? [])
    .filter((v) => v.labels.code === String(code))
    .reduce((sum, v) => sum + v.value, 0)
}

describe('the WebSocket', () => {
  it('answers an action with a reply on every stream of the chat, numbered', async () => {
    const { user, chatId } = await chatOwner()
    const one = await connect(user, chatId)
    const two = await connect(user, chatId)
    one.send({ type: 'action', id: 'a-1', action: 'ping' })
    const reply = {
      type: 'reply',
      in_reply_to: 'a-1',
      action: 'ping',
      seq: 1,
      payload: { pong: true },
    }
    await vi.waitFor(() => expect(one.frames).toEqual([reply]))
    await vi.waitFor(() => expect(two.frames).toEqual([reply]))
    one.send({ type: 'action', id: 'a-2', action: 'roll-dice', args: { count: 3, sides: 4 } })
    await vi.waitFor(() => expect(two.replies).toHaveLength(2))
    expect(two.replies[1]).toMatchObject({ in_reply_to: 'a-2', action: 'roll-dice', seq: 2 })
    expect(two.replies[1].payload.faces).toHaveLength(3)
    // A POSTed action reaches the sockets too, with the 202's id.
    const posted = await fetch(`${kit.server.url}/v1/chats/${chatId}/actions`, {
      method: 'POST',
      headers: { authorization: await bearer(user), 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'time' }),
    })
    expect(posted.status).toBe(202)
    const { id } = (await posted.json()) as { id: string }
    await vi.waitFor(() => expect(one.replies[2]).toMatchObject({ in_reply_to: id, seq: 3 }))
    one.close()
    two.close()
    expect((await one.closed).code).toBe(1000)
  })

  it('takes the chat id in any case: an upper-case one is the same chat', async () => {
    const { user, chatId } = await chatOwner()
    const upper = await connect(user, chatId.toUpperCase())
    const posted = await fetch(`${kit.server.url}/v1/chats/${chatId}/actions`, {
      method: 'POST',
      headers: { authorization: await bearer(user), 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'ping' }),
    })
    const { id } = (await posted.json()) as { id: string }
    await vi.waitFor(() => expect(upper.replies).toMatchObject([{ in_reply_to: id, seq: 1 }]))
    upper.close()
  })

  it('refuses every frame that is not a catalog action, never echoing it, and stays open', async () => {
    const { user, chatId } = await chatOwner()
    const client = await connect(user, chatId)
    const secret = 'SECRET-INPUT-7f3a'
    const sent: Array<[unknown, Record<string, unknown>]> = [
      [`hello ${secret}`, { type: 'error', code: 'INVALID_FRAME' }],
      [
        Buffer.from(`{"type":"action","id":"b","action":"ping","x":"${secret}"}`),
        { type: 'error', code: 'INVALID_FRAME' },
      ],
      [`{"type":"action","id":"c",`, { type: 'error', code: 'INVALID_FRAME' }],
      [JSON.stringify([secret]), { type: 'error', code: 'INVALID_FRAME' }],
      [
        { type: 'action', action: 'ping', note: secret },
        { type: 'error', code: 'INVALID_FRAME' },
      ],
      [
        { type: 'action', id: 42, action: 'ping' },
        { type: 'error', code: 'INVALID_FRAME' },
      ],
      [
        { type: 'action', id: `${secret}${'x'.repeat(80)}`, action: 'ping' },
        { type: 'error', code: 'INVALID_FRAME' },
      ],
      [
        { type: 'text', id: 'd', text: secret },
        { type: 'error', in_reply_to: 'd', code: 'INVALID_FRAME' },
      ],
      [
        { type: 'action', id: 'e', action: 'ping', extra: secret },
        { type: 'error', in_reply_to: 'e', code: 'INVALID_FRAME' },
      ],
      [
        { type: 'action', id: 'f', action: secret },
        { type: 'error', in_reply_to: 'f', code: 'UNKNOWN_ACTION' },
      ],
      [
        { type: 'action', id: 'g', action: 'roll-dice', args: { count: 1000 } },
        { type: 'error', in_reply_to: 'g', code: 'INVALID_FRAME' },
      ],
      [
        { type: 'action', id: 'h', action: 'ping', args: [secret] },
        { type: 'error', in_reply_to: 'h', code: 'INVALID_FRAME' },
      ],
      [
        { type: 'action', id: 'i', action: 'ping', args: { pad: secret.repeat(250) } },
        { type: 'error', code: 'INVALID_FRAME' }, // over 4 KiB: not even parsed
      ],
    ]
    for (const [frame] of sent) client.send(frame)
    await vi.waitFor(() => expect(client.frames).toHaveLength(sent.length))
    expect(client.frames).toEqual(sent.map(([, answer]) => answer))
    for (const text of client.raw) expect(text).not.toContain('SECRET')
    expect(JSON.stringify(sent[12]?.[0]).length).toBeGreaterThan(MAX_CLIENT_FRAME_BYTES)
    // Still open, still answering.
    client.send({ type: 'action', id: 'j', action: 'ping' })
    await vi.waitFor(() =>
      expect(client.replies).toEqual([expect.objectContaining({ in_reply_to: 'j', seq: 1 })]),
    )
    expect(client.code).toBeUndefined()
    client.close()
  })

  it('limits actions per connection per minute (RATE_LIMITED), from the config', async () => {
    const { user, chatId } = await chatOwner()
    kit.server.setChat({ actions_per_minute: 3 })
    try {
      const client = await connect(user, chatId)
      const other = await connect(user, chatId)
      for (let n = 1; n <= 5; n++) client.send({ type: 'action', id: `r${n}`, action: 'ping' })
      await vi.waitFor(() => expect(client.frames).toHaveLength(5))
      expect(client.errors).toEqual([
        { type: 'error', in_reply_to: 'r4', code: 'RATE_LIMITED' },
        { type: 'error', in_reply_to: 'r5', code: 'RATE_LIMITED' },
      ])
      expect(client.replies.map((r) => r.in_reply_to)).toEqual(['r1', 'r2', 'r3'])
      // Per connection: another one of the same user is not limited by it.
      other.send({ type: 'action', id: 'o1', action: 'ping' })
      await vi.waitFor(() => expect(other.replies.map((r) => r.in_reply_to)).toContain('o1'))
      client.close()
      other.close()
    } finally {
      kit.server.setChat({ actions_per_minute: 60 })
    }
  })

  it('refuses, on the next frame, an action the config no longer lists', async () => {
    const { user, chatId } = await chatOwner()
    const client = await connect(user, chatId)
    const catalog = kit.server.config.get('chat').actions
    client.send({ type: 'action', id: 't1', action: 'time' })
    await vi.waitFor(() => expect(client.replies).toHaveLength(1))
    kit.server.setChat({ actions: catalog.filter((action) => action.id !== 'time') })
    try {
      client.send({ type: 'action', id: 't2', action: 'time' })
      await vi.waitFor(() =>
        expect(client.errors).toEqual([
          { type: 'error', in_reply_to: 't2', code: 'UNKNOWN_ACTION' },
        ]),
      )
      client.close()
    } finally {
      kit.server.setChat({ actions: catalog })
    }
  })

  it('resumes after ?after=: the replies after it, in order, then live ones', async () => {
    const { user, chatId } = await chatOwner()
    const first = await connect(user, chatId)
    for (let n = 1; n <= 3; n++) first.send({ type: 'action', id: `p${n}`, action: 'ping' })
    await vi.waitFor(() => expect(first.replies).toHaveLength(3))
    first.close()
    const resumed = await connect(user, chatId, '?after=1')
    await vi.waitFor(() => expect(resumed.replies.map((r) => r.seq)).toEqual([2, 3]))
    resumed.send({ type: 'action', id: 'p4', action: 'ping' })
    await vi.waitFor(() => expect(resumed.replies.map((r) => r.seq)).toEqual([2, 3, 4]))
    resumed.close()
    // A malformed `after` is refused before the upgrade (the adapter sends the bare status).
    const refused = new Client(wsPath(chatId, '?after=-1'), { authorization: await bearer(user) })
    await expect(refused.opened).rejects.toThrow(/Unexpected server response: 400/)
  })

  it('authenticates by ticket, once: a reused ticket is refused with 1008', async () => {
    const { user, chatId } = await chatOwner()
    const issued = await fetch(`${kit.server.url}/v1/chats/${chatId}/tickets`, {
      method: 'POST',
      headers: { authorization: await bearer(user) },
    })
    expect(issued.status).toBe(201)
    const { ticket } = (await issued.json()) as { ticket: string }
    const client = new Client(wsPath(chatId, `?ticket=${ticket}`))
    await client.opened
    client.send({ type: 'action', id: 't1', action: 'ping' })
    await vi.waitFor(() => expect(client.replies).toHaveLength(1))
    const again = new Client(wsPath(chatId, `?ticket=${ticket}`))
    expect(await again.closed).toEqual({ code: 1008, reason: 'authentication failed' })
    expect(again.frames).toEqual([])
    client.close()
  })

  it('closes 1008 for a missing, bad or machine token and a bad ticket', async () => {
    const { user, chatId } = await chatOwner()
    const before = await closeCount(1008)
    const token = await bearer(user)
    const cases: Array<[string, Record<string, string>]> = [
      ['', {}],
      ['', { authorization: 'Bearer not-a-token' }],
      ['', { authorization: `${token.slice(0, -4)}AAAA` }],
      ['', { authorization: await kit.auth.clientBearer('ops', ['config:read']) }],
      [`?ticket=${'A'.repeat(43)}`, {}],
      ['?ticket=short', {}],
    ]
    for (const [query, headers] of cases) {
      const client = new Client(wsPath(chatId, query), headers)
      expect((await client.closed).code, `${query} ${Object.keys(headers)}`).toBe(1008)
    }
    expect(await closeCount(1008)).toBe(before + cases.length)
  })

  it('closes 4404 for another user’s chat, an unknown or malformed id, and a closed chat', async () => {
    const mine = await chatOwner()
    const theirs = await chatOwner()
    for (const chatId of [theirs.chatId, randomUUID(), 'not-a-uuid']) {
      const client = new Client(wsPath(chatId), { authorization: await bearer(mine.user) })
      expect((await client.closed).code, chatId).toBe(4404)
    }
    // Closed in SQL alone (no closeChat to tell the streams): the action that slides the
    // chat's expiry finds it closed. The slide is due: the expiry is 10 minutes away.
    await db.admin`update chat_sessions set expires_at = now() + interval '10 minutes'
                   where id = ${mine.chatId}`
    const open = await connect(mine.user, mine.chatId)
    await db.admin`update chat_sessions set status = 'closed' where id = ${mine.chatId}`
    open.send({ type: 'action', id: 'late', action: 'ping' })
    expect((await open.closed).code).toBe(4404)
    expect(open.replies).toEqual([])
  })

  it('slides a chat’s expiry in SQL when it has fallen a minute behind, not at every action', async () => {
    const { user, chatId } = await chatOwner()
    const expiry = async () =>
      (
        await db.admin<
          { at: string }[]
        >`select expires_at as at from chat_sessions where id = ${chatId}`
      )[0]?.at
    const client = await connect(user, chatId)
    const opened = await expiry()
    client.send({ type: 'action', id: 'a', action: 'ping' })
    await vi.waitFor(() => expect(client.replies).toHaveLength(1))
    expect(await expiry()).toBe(opened) // fresh: no write before the reply
    await db.admin`update chat_sessions set expires_at = now() + interval '10 minutes' where id = ${chatId}`
    client.close()
    await client.closed
    const again = await connect(user, chatId)
    again.send({ type: 'action', id: 'b', action: 'ping' })
    await vi.waitFor(() => expect(again.replies).toHaveLength(1))
    const slid = Date.parse((await expiry()) as string) - Date.now()
    expect(slid).toBeGreaterThan(25 * 60_000)
  })

  it('closes every stream of a chat with 4404 when it is closed elsewhere', async () => {
    const { user, chatId } = await chatOwner()
    const client = await connect(user, chatId)
    const events = await openEvents(`${kit.server.url}/v1/chats/${chatId}/events`, {
      authorization: await bearer(user),
    })
    await kit.server.hub.closeChat(chatId)
    expect((await client.closed).code).toBe(4404)
    await events.ended
    expect(events.events().at(-1)).toEqual({ event: 'close', data: '{"code":4404}' })
  })

  it('caps a user’s connections (4429), from the config', async () => {
    const { user, chatId } = await chatOwner()
    kit.server.setChat({ max_connections_per_user: 2 })
    try {
      const one = await connect(user, chatId)
      const two = await connect(user, chatId)
      const three = new Client(wsPath(chatId), { authorization: await bearer(user) })
      expect((await three.closed).code).toBe(4429)
      one.close()
      await one.closed
      await vi.waitFor(async () => {
        const four = new Client(wsPath(chatId), { authorization: await bearer(user) })
        await four.opened
        await sleep(50)
        expect(four.code).toBeUndefined()
        four.close()
      })
      two.close()
    } finally {
      kit.server.setChat({ max_connections_per_user: 5 })
    }
  })

  it('terminates a peer that stops answering pings', async () => {
    const { user, chatId } = await chatOwner()
    const deaf = new Client(
      wsPath(chatId),
      { authorization: await bearer(user) },
      { autoPong: false },
    )
    const hearing = await connect(user, chatId)
    await deaf.opened
    expect((await deaf.closed).code).toBe(1006)
    await sleep(400)
    expect(hearing.code).toBeUndefined()
    hearing.close()
  })

  it('answers a plain GET with 400, before authenticating', async () => {
    const res = await fetch(`${kit.server.url}/v1/chats/${randomUUID()}/ws`)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
  })
})

describe('Server-Sent Events', () => {
  const eventsUrl = (chatId: string) => `${kit.server.url}/v1/chats/${chatId}/events`

  async function post(user: UserRow, chatId: string, action: string): Promise<string> {
    const res = await fetch(`${kit.server.url}/v1/chats/${chatId}/actions`, {
      method: 'POST',
      headers: { authorization: await bearer(user), 'content-type': 'application/json' },
      body: JSON.stringify({ action }),
    })
    expect(res.status).toBe(202)
    return ((await res.json()) as { id: string }).id
  }

  it('streams replies with their seq as id, heartbeats, and resumes after Last-Event-ID', async () => {
    const { user, chatId } = await chatOwner()
    const stream = await openEvents(eventsUrl(chatId), { authorization: await bearer(user) })
    expect(stream.status).toBe(200)
    expect(stream.headers.get('content-type')).toBe('text/event-stream')
    expect(stream.headers.get('cache-control')).toBe('no-store')
    expect(stream.headers.get('x-accel-buffering')).toBe('no')
    const ids = [
      await post(user, chatId, 'ping'),
      await post(user, chatId, 'ping'),
      await post(user, chatId, 'ping'),
    ]
    const replies = () => stream.events().filter((e) => e.event === 'reply')
    await vi.waitFor(() => expect(replies()).toHaveLength(3))
    expect(replies()[0]).toEqual({
      event: 'reply',
      id: '1',
      data: JSON.stringify({
        type: 'reply',
        in_reply_to: ids[0],
        action: 'ping',
        seq: 1,
        payload: { pong: true },
      }),
    })
    await vi.waitFor(() =>
      expect(stream.events().some((e) => e.comment === 'heartbeat')).toBe(true),
    )
    stream.abort()

    const resumed = await openEvents(eventsUrl(chatId), {
      authorization: await bearer(user),
      'last-event-id': '1',
    })
    await vi.waitFor(() =>
      expect(
        resumed
          .events()
          .filter((e) => e.event === 'reply')
          .map((e) => e.id),
      ).toEqual(['2', '3']),
    )
    await post(user, chatId, 'ping')
    await vi.waitFor(() =>
      expect(
        resumed
          .events()
          .filter((e) => e.event === 'reply')
          .map((e) => e.id),
      ).toEqual(['2', '3', '4']),
    )
    resumed.abort()
  })

  it('announces a resync when the buffer no longer holds what Last-Event-ID asks for', async () => {
    const { user, chatId } = await chatOwner()
    for (let n = 0; n < 203; n++) {
      await kit.server.hub.publish(chatId, { in_reply_to: `x${n}`, action: 'ping', payload: {} })
    }
    const stream = await openEvents(eventsUrl(chatId), {
      authorization: await bearer(user),
      'last-event-id': '1',
    })
    await vi.waitFor(() =>
      expect(stream.events().filter((e) => e.event === 'reply')).toHaveLength(200),
    )
    expect(stream.events()[0]).toEqual({ event: 'resync', data: '{"type":"resync","after":3}' })
    expect(stream.events()[1]).toMatchObject({ event: 'reply', id: '4' })
    stream.abort()
  })

  it('is 404 CHAT_NOT_FOUND for another user’s chat or an unknown one, before any stream', async () => {
    const mine = await chatOwner()
    const theirs = await chatOwner()
    for (const chatId of [theirs.chatId, randomUUID(), 'nope']) {
      const res = await fetch(eventsUrl(chatId), {
        headers: { authorization: await bearer(mine.user) },
      })
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
      expect(((await res.json()) as { code: string }).code).toBe('CHAT_NOT_FOUND')
    }
    const anonymous = await fetch(eventsUrl(mine.chatId))
    expect(anonymous.status).toBe(401)
  })

  it('forgets a stream whose client went away', async () => {
    const { user, chatId } = await chatOwner()
    const size = kit.server.hub.size
    const stream = await openEvents(eventsUrl(chatId), { authorization: await bearer(user) })
    await vi.waitFor(() => expect(kit.server.hub.size).toBe(size + 1))
    stream.abort()
    await vi.waitFor(() => expect(kit.server.hub.size).toBe(size))
  })

  it('counts as a connection for the cap: the one over it gets a close event 4429', async () => {
    const { user, chatId } = await chatOwner()
    kit.server.setChat({ max_connections_per_user: 1 })
    try {
      const one = await openEvents(eventsUrl(chatId), { authorization: await bearer(user) })
      const two = await openEvents(eventsUrl(chatId), { authorization: await bearer(user) })
      await two.ended
      expect(two.events()).toEqual([{ event: 'close', data: '{"code":4429}' }])
      one.abort()
    } finally {
      kit.server.setChat({ max_connections_per_user: 5 })
    }
  })
})

describe('a stream that asks for no replay', () => {
  it('gets the reply to anything done once it is open, however slowly its position is read', async () => {
    // The reply log's latest() answers 300 ms late. Read after the open, the position would
    // already count the reply to the client's first action (numbered meanwhile) as seen.
    const auth = await createTestAuth()
    const server = await startChatServer(db, auth, {
      replies: (log) => ({
        append: (...args) => log.append(...args),
        since: (...args) => log.since(...args),
        latest: async (chatId) => {
          await sleep(300)
          return log.latest(chatId)
        },
      }),
    })
    try {
      const { user, chatId } = await chatOwner()
      const authorization = await auth.bearer(user)
      const socket = new Client(`${server.wsUrl}/v1/chats/${chatId}/ws`, { authorization })
      await socket.opened
      const events = await openEvents(`${server.url}/v1/chats/${chatId}/events`, {
        authorization,
      })
      const posted = await fetch(`${server.url}/v1/chats/${chatId}/actions`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'ping' }),
      })
      expect(posted.status).toBe(202)
      socket.send({ type: 'action', id: 'second', action: 'ping' })
      await vi.waitFor(() => expect(socket.replies.map((r) => r.seq)).toEqual([1, 2]), 5_000)
      const sseIds = () =>
        events
          .events()
          .filter((e) => e.event === 'reply')
          .map((e) => e.id)
      await vi.waitFor(() => expect(sseIds()).toEqual(['1', '2']), 5_000)
      socket.close()
      events.abort()
    } finally {
      await server.close()
    }
  })
})

describe('backpressure', () => {
  it('closes a client that does not read with 1013; it resumes from where it got', async () => {
    // A server of its own: default heartbeats (a peer that reads nothing answers no ping,
    // and the file's 150 ms ones would drop it first) and the default 1 MiB bound.
    const auth = await createTestAuth()
    const server = await startChatServer(db, auth)
    try {
      const { user, chatId } = await chatOwner()
      const token = await auth.bearer(user)
      const slow = new Client(`${server.wsUrl}/v1/chats/${chatId}/ws`, { authorization: token })
      await slow.opened
      await vi.waitFor(() => expect(server.hub.size).toBe(1))
      // ws' own pause: pausing its socket alone would be undone by its receiver.
      slow.ws.pause()
      const closes = async () =>
        (
          (await server.metrics.getSingleMetric('chat_stream_closes_total')?.get())?.values ?? []
        ).filter((v) => v.labels.code === '1013').length
      const payload = { blob: 'x'.repeat(64 * 1024) }
      let published = 0
      // The kernel's socket buffers take tens of MiB first (tcp_rmem, tcp_wmem).
      while (server.hub.size === 1 && published < 5_000) {
        await server.hub.publish(chatId, { in_reply_to: `s${published}`, action: 'ping', payload })
        published++
      }
      expect(await closes()).toBe(1)
      slow.ws.resume()
      expect((await slow.closed).code).toBe(1013)
      const got = slow.replies.map((r) => r.seq)
      expect(got.length).toBeLessThan(published)
      expect(got).toEqual(Array.from({ length: got.length }, (_, n) => n + 1))
      // Reconnect and resume: the rest, as far as the buffer holds it (200), announced.
      const last = got.at(-1) ?? 0
      const resumed = new Client(`${server.wsUrl}/v1/chats/${chatId}/ws?after=${last}`, {
        authorization: token,
      })
      await resumed.opened
      await vi.waitFor(() => expect(resumed.frames.at(-1)?.seq).toBe(published))
      const first = resumed.frames[0]
      if (published - last > 200) expect(first).toEqual({ type: 'resync', after: published - 200 })
      else expect(first).toMatchObject({ type: 'reply', seq: last + 1 })
      resumed.close()
    } finally {
      await server.close()
    }
  })
})

describe('draining', () => {
  it('closes every WebSocket with 1012 and ends every SSE stream with a close 1012', async () => {
    const auth = await createTestAuth()
    const server = await startChatServer(db, auth)
    try {
      const { user, chatId } = await chatOwner()
      const socket = new Client(`${server.wsUrl}/v1/chats/${chatId}/ws`, {
        authorization: await auth.bearer(user),
      })
      await socket.opened
      const events = await openEvents(`${server.url}/v1/chats/${chatId}/events`, {
        authorization: await auth.bearer(user),
      })
      await vi.waitFor(() => expect(server.hub.size).toBe(2))
      const started = performance.now()
      expect(await server.served.shutdown('test drain')).toBe(0)
      expect(performance.now() - started).toBeLessThan(5_000)
      expect(await socket.closed).toEqual({
        code: 1012,
        reason: 'server restarting; reconnect and resume',
      })
      await events.ended
      expect(events.events().at(-1)).toEqual({ event: 'close', data: '{"code":1012}' })
    } finally {
      await server.close()
    }
  })
})
