import { openFrameSocket } from './frame-socket.ts'
import { items, type Json, num, text, uniqueId } from './json.ts'
import { ROUTES, type RouteName } from './routes.ts'
import { asGuest, guestOf } from './session.ts'
import type { JourneyContext, VuState } from './vu.ts'

/**
 * The chat scenario. Once per VU: its guest, an org with one project, and the action
 * catalog (which must offer the canned actions sent here). Each iteration: open a chat,
 * get a one-time ticket, connect the WebSocket with it as a browser does, send the canned
 * actions one after another and check each reply (the right `in_reply_to` and action,
 * a sequence number above the last), have an unknown action refused, close; then resume
 * with a new ticket and `?after=<first seq>` and check the rest are replayed in order,
 * once; finally close the chat, which frees its slot (3 active chats per user and
 * project by default), so an iteration never holds more than one.
 */

export const CHAT_ROUTES: readonly RouteName[] = [
  ROUTES.guestSignIn,
  ROUTES.createOrg,
  ROUTES.createProject,
  ROUTES.listActions,
  ROUTES.openChat,
  ROUTES.createTicket,
  ROUTES.closeChat,
]

interface Canned {
  action: string
  args?: Json
}

const CANNED: readonly Canned[] = [
  { action: 'ping' },
  { action: 'time' },
  { action: 'roll-dice', args: { count: 2 } },
  { action: 'help' },
]

const OPEN_TIMEOUT_MS = 10_000
const REPLY_TIMEOUT_MS = 5_000

interface Answered {
  id: string
  seq: number
}

export async function chatJourney(ctx: JourneyContext, vu: VuState): Promise<void> {
  const { client } = ctx
  if (!(await guestOf(ctx, vu))) return
  const home = vu.chatHome ?? (await makeHome(ctx, vu))
  if (!home) return
  vu.chatHome = home

  const opened = await asGuest(ctx, vu, {
    method: 'POST',
    path: `/v1/projects/${home.projectId}/chats`,
    route: ROUTES.openChat,
    headers: { 'Idempotency-Key': uniqueId('key') },
    expect: [201],
  })
  const chatId = text(opened.json, 'id')
  const active = opened.status === 201 && text(opened.json, 'status') === 'active'
  if (!client.check('chat opened', active) || chatId === undefined) return

  try {
    const answered = await converse(ctx, vu, chatId)
    if (answered.length > 1) await resume(ctx, vu, chatId, answered)
  } finally {
    const closed = await asGuest(ctx, vu, {
      method: 'DELETE',
      path: `/v1/chats/${chatId}`,
      route: ROUTES.closeChat,
      expect: [204],
    })
    client.check('chat closed', closed.status === 204)
  }
}

/** The org and project a VU's chats live in, and a look at the catalog. */
async function makeHome(
  ctx: JourneyContext,
  vu: VuState,
): Promise<{ orgId: string; projectId: string } | undefined> {
  const { client } = ctx
  const org = await asGuest(ctx, vu, {
    method: 'POST',
    path: '/v1/orgs',
    route: ROUTES.createOrg,
    body: { name: `Chat load test ${uniqueId('org')}` },
    expect: [201],
  })
  const orgId = text(org.json, 'id')
  if (!client.check('org created', org.status === 201 && orgId !== undefined) || !orgId) return
  const project = await asGuest(ctx, vu, {
    method: 'POST',
    path: `/v1/orgs/${orgId}/projects`,
    route: ROUTES.createProject,
    body: { name: 'support' },
    expect: [201],
  })
  const projectId = text(project.json, 'id')
  if (!client.check('project created', project.status === 201 && projectId !== undefined)) return
  const catalog = await asGuest(ctx, vu, {
    method: 'GET',
    path: '/v1/chat/actions',
    route: ROUTES.listActions,
    expect: [200],
  })
  const offered = new Set(items(catalog.json).map((entry) => entry.id))
  client.check(
    'catalog offers the canned actions',
    catalog.status === 200 && CANNED.every((canned) => offered.has(canned.action)),
  )
  return projectId ? { orgId, projectId } : undefined
}

/** A ticket, then the socket it opens (`after`: resume after that sequence number). */
async function connect(ctx: JourneyContext, vu: VuState, chatId: string, after?: number) {
  const { client } = ctx
  const issued = await asGuest(ctx, vu, {
    method: 'POST',
    path: `/v1/chats/${chatId}/tickets`,
    route: ROUTES.createTicket,
    expect: [201],
  })
  const ticket = text(issued.json, 'ticket')
  if (!client.check('ticket issued', issued.status === 201 && ticket !== undefined) || !ticket) {
    return undefined
  }
  const resumeAt = after === undefined ? '' : `&after=${after}`
  const path = `/v1/chats/${chatId}/ws?ticket=${encodeURIComponent(ticket)}${resumeAt}`
  const socket = openFrameSocket(client, path, ROUTES.chatSocket, OPEN_TIMEOUT_MS)
  return client.check('socket opened', await socket.opened) ? socket : undefined
}

/** The canned actions one by one, each reply checked and timed; returns what was answered. */
async function converse(ctx: JourneyContext, vu: VuState, chatId: string): Promise<Answered[]> {
  const { client } = ctx
  const answered: Answered[] = []
  const socket = await connect(ctx, vu, chatId)
  if (!socket) return answered
  try {
    let last = Number.NEGATIVE_INFINITY
    for (const [index, canned] of CANNED.entries()) {
      const id = `a${index}`
      const sentAt = client.now()
      socket.send({
        type: 'action',
        id,
        action: canned.action,
        ...(canned.args ? { args: canned.args } : {}),
      })
      const event = await socket.next(REPLY_TIMEOUT_MS)
      const frame = event.kind === 'frame' ? event.frame : undefined
      const seq = num(frame, 'seq')
      const reply =
        frame?.type === 'reply' && frame.in_reply_to === id && frame.action === canned.action
      // A timeout or a close ends the conversation: what follows would only repeat it.
      if (!client.check('action answered', reply && seq !== undefined) || seq === undefined) break
      if (event.kind === 'frame') client.add('chat_reply_duration', event.at - sentAt)
      const inOrder = seq > last
      client.add('chat_replies_in_order', inOrder ? 1 : 0)
      client.check('replies in sequence', inOrder)
      last = seq
      answered.push({ id, seq })
    }
    // Anything not in the catalog is refused with an error frame; the socket stays open.
    socket.send({ type: 'action', id: 'unknown', action: 'no-such-action' })
    const refusal = await socket.next(REPLY_TIMEOUT_MS)
    const frame = refusal.kind === 'frame' ? refusal.frame : undefined
    client.check(
      'unknown action refused',
      frame?.type === 'error' && frame.code === 'UNKNOWN_ACTION' && frame.in_reply_to === 'unknown',
    )
  } finally {
    await socket.close()
  }
  return answered
}

/** Reconnects after the first reply: every later one must come again, in order, once. */
async function resume(
  ctx: JourneyContext,
  vu: VuState,
  chatId: string,
  answered: readonly Answered[],
): Promise<void> {
  const { client } = ctx
  const [first, ...rest] = answered
  if (!first) return
  const socket = await connect(ctx, vu, chatId, first.seq)
  if (!socket) return
  try {
    let last = first.seq
    for (const expected of rest) {
      const event = await socket.next(REPLY_TIMEOUT_MS)
      const frame = event.kind === 'frame' ? event.frame : undefined
      const seq = num(frame, 'seq')
      const same =
        frame?.type === 'reply' && frame.in_reply_to === expected.id && seq === expected.seq
      client.add('chat_replies_in_order', same && seq > last ? 1 : 0)
      if (!client.check('resume replays the rest in order', same) || seq === undefined) break
      last = seq
    }
  } finally {
    await socket.close()
  }
}
