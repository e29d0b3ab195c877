import { createServer } from 'node:http'
import { Redis } from 'ioredis'
import { type WebSocket, WebSocketServer } from 'ws'

/**
 * The floor of `npm run bench:chat`, run as its own process: a bare node:http server with
 * the `ws` server (per-message deflate off, as the chat function's) that accepts every
 * upgrade on `/v1/chats/<id>/ws` and keeps the socket in a set per chat. No token, no
 * SQL, no numbering log, no heartbeat, no logger.
 *
 * Without REDIS_URL it only holds the sockets (the idle floor). With REDIS_URL it is the
 * fan-out floor, a relay: it SUBSCRIBEs `bare-chat:<id>` while it holds a socket of that
 * chat (one subscriber connection, as the function's bus); an action frame from a socket
 * becomes a reply frame numbered by a counter of this process per chat (the benchmark
 * sends every action of a chat through one socket), PUBLISHed on the chat's channel on a
 * command connection; every relay writes each message it receives, as it came, to its
 * sockets of that chat.
 *
 *   GET /readyz  → 200 once listening (and, with REDIS_URL, both connections ready)
 *
 * Env: PORT, REDIS_URL (optional).
 */

const port = Number(process.env.PORT)
const redisUrl = process.env.REDIS_URL
if (!Number.isInteger(port)) {
  process.stderr.write('bare-ws: PORT is required\n')
  process.exit(1)
}

const CHAT_PATH = /^\/v1\/chats\/([0-9a-f-]{36})\/ws(?:\?|$)/
const channelOf = (chatId: string) => `bare-chat:${chatId}`
const chats = new Map<string, Set<WebSocket>>()
const numbers = new Map<string, number>()

const publisher = redisUrl ? new Redis(redisUrl) : undefined
const subscriber = redisUrl ? new Redis(redisUrl) : undefined
for (const connection of [publisher, subscriber]) {
  connection?.on('error', (error: unknown) => {
    process.stderr.write(`bare-ws: ${error instanceof Error ? error.message : error}\n`)
  })
}
subscriber?.on('message', (channel: string, message: string) => {
  const sockets = chats.get(channel.slice('bare-chat:'.length))
  if (!sockets) return
  for (const ws of sockets) ws.send(message)
})

function onAction(chatId: string, data: unknown): void {
  let frame: { type?: unknown; id?: unknown; action?: unknown }
  try {
    frame = JSON.parse(String(data))
  } catch {
    return
  }
  if (frame.type !== 'action' || typeof frame.id !== 'string' || !publisher) return
  const seq = (numbers.get(chatId) ?? 0) + 1
  numbers.set(chatId, seq)
  const reply = {
    type: 'reply',
    in_reply_to: frame.id,
    action: frame.action,
    seq,
    payload: { pong: true },
  }
  void publisher.publish(channelOf(chatId), JSON.stringify(reply)).catch(() => {})
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false })
let ready = !redisUrl

const server = createServer((request, response) => {
  const ok = request.url === '/readyz' && ready
  response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
  response.end(ok ? 'ready' : 'not ready')
})

server.on('upgrade', (request, socket, head) => {
  const chatId = CHAT_PATH.exec(request.url ?? '')?.[1]
  if (!chatId) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n')
    return
  }
  wss.handleUpgrade(request, socket, head, (ws) => {
    let sockets = chats.get(chatId)
    if (!sockets) {
      sockets = new Set()
      chats.set(chatId, sockets)
      void subscriber?.subscribe(channelOf(chatId)).catch(() => {})
    }
    sockets.add(ws)
    ws.on('message', (data) => onAction(chatId, data))
    ws.on('close', () => {
      const mine = chats.get(chatId)
      mine?.delete(ws)
      if (mine?.size === 0) {
        chats.delete(chatId)
        void subscriber?.unsubscribe(channelOf(chatId)).catch(() => {})
      }
    })
  })
})

server.listen(port, '127.0.0.1')
if (publisher && subscriber) {
  await Promise.all([publisher.ping(), subscriber.ping()])
  ready = true
}

process.once('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
  publisher?.disconnect()
  subscriber?.disconnect()
  process.exit(0)
})
