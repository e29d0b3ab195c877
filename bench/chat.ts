import { Redis } from 'ioredis'
import { createTestAuth } from '#test/harness/auth.ts'
import { benchBundle, ROOT } from './lib/bundle.ts'
import { fanoutHistogram, percentileBound, since } from './lib/chat-metrics.ts'
import { liftChatLimits, type SeededChat, seedChats } from './lib/chat-seed.ts'
import { onCleanup, runMain } from './lib/cleanup.ts'
import { type FanoutResult, FanoutSide } from './lib/fanout-run.ts'
import { functionEnv } from './lib/function-env.ts'
import { type IdleResult, runIdle } from './lib/idle-run.ts'
import { serveJwks } from './lib/jwks.ts'
import { LOOPBACK_FLAGS } from './lib/loopback.ts'
import { machineFacts } from './lib/machine.ts'
import { readOptions } from './lib/options.ts'
import { provideBenchPostgres } from './lib/postgres.ts'
import { type Child, logDirectory, type Server, startServer } from './lib/processes.ts'
import { provideBenchRedis } from './lib/redis.ts'
import { liftRateLimits } from './lib/seed.ts'
import { openFilesLimit } from './lib/ws-clients.ts'

/**
 * What a chat stream costs (DESIGN.md §5), against bare `ws` processes doing the least
 * the same job needs, on a real PostgreSQL (lib/postgres.ts) and a redis-server of the
 * benchmark's own. Every client is a `ws` client in this process (deflate off).
 *   idle     `--connections` idle WebSocket connections to /v1/chats/<id>/ws, with the
 *            chat's user's bearer token, `--idle-per-chat` per chat (one chat per user),
 *            opened `--window` handshakes at a time and held `--hold` s: the server
 *            process's VmRSS after minus before, per connection, in KiB.
 *            ours   one process of the chat function (PostgreSQL, Redis)
 *            bare   lib/bare-ws.ts without Redis: the `ws` server holding the sockets
 *   fan-out  `--chats` chats × `--per-chat` sockets, alternating over two servers (each
 *            chat's on both), one Redis; `--actions` ping actions (after `--warmup`) at
 *            `--rate` a second, round robin over the chats, each an action frame on one
 *            socket of its chat. Latency per (stream, reply): from just before the frame
 *            is sent to that stream's reply, on this process's clock. Both sides' servers
 *            and sockets are up throughout, and the sides take turns over `--rounds`
 *            rounds (bare ours, ours bare, …), so that drift on a shared machine lands on
 *            both alike.
 *            ours   two processes of the chat function
 *            bare   two lib/bare-ws.ts relays: the action is PUBLISHed on the chat's
 *                   channel, both relays write it to their sockets of the chat
 * Every stream must get every reply exactly once, in seq order: `lost`, `duplicates`.
 * Last line: `ratio <bare p99 / ours p99>`. Issue's targets: kb_per_conn ≤ 32, fan-out
 * p99 ≤ 25 ms, ratio ≥ 0.5.
 */

const options = readOptions('npm run bench:chat -- [options]', {
  connections: { min: 1, default: 10_000, help: 'idle connections held by one server' },
  'idle-per-chat': {
    min: 1,
    default: 5,
    help: 'idle connections per chat (each chat its own user; the chat config allows 5 per user per instance, raised if needed)',
  },
  hold: { min: 0, default: 20, help: 'seconds the idle connections are held before VmRSS is read' },
  chats: { min: 1, default: 100, help: 'chats of the fan-out' },
  'per-chat': {
    min: 2,
    default: 10,
    help: 'sockets per chat in the fan-out, alternating over the two servers',
  },
  rate: { min: 1, default: 100, help: 'fan-out actions per second, over every chat' },
  actions: { min: 1, default: 3000, help: 'measured fan-out actions per side' },
  rounds: {
    min: 1,
    default: 3,
    help: 'fan-out rounds; the measured actions are split over them, the sides taking turns (A B, B A, …)',
  },
  warmup: { default: 200, help: 'unmeasured fan-out actions before the measured ones' },
  window: { min: 1, default: 200, help: 'WebSocket handshakes in flight at a time' },
  settle: {
    min: 0,
    default: 5,
    help: 'seconds a fan-out run waits for its last replies after its last action',
  },
  idle: { default: true, help: 'run the idle-connections measurement' },
  fanout: { default: true, help: 'run the fan-out measurement' },
  ours: { default: true, help: "run the chat function's sides (off: the bare baselines only)" },
  source: {
    default: false,
    help: 'run the chat function from source (functions/chat/main.ts) instead of dist/',
  },
  build: {
    default: true,
    help: 'run `npm run build` first (off: use dist/ as it is; not used with --source)',
  },
})

const IDLE_PER_CHAT = options['idle-per-chat']
const PER_CHAT = options['per-chat']
/** Descriptors this process and each server need beyond their sockets. */
const FD_MARGIN = 1024

await runMain(async () => {
  const limit = openFilesLimit()
  const mostSockets = Math.max(
    options.idle ? options.connections : 0,
    // Both sides' sockets are open throughout the fan-out.
    options.fanout ? options.chats * PER_CHAT * (options.ours ? 2 : 1) : 0,
  )
  if (mostSockets + FD_MARGIN > limit) {
    throw new Error(
      `${mostSockets} sockets need more than the ${limit} open files a process may hold here (ulimit -n): lower --connections, or --chats and --per-chat`,
    )
  }
  for (const line of machineFacts()) out(line)
  out(
    `open files: ${limit} per process (ulimit -n); at most ${mostSockets} client sockets in this process and as many in a server`,
  )
  const entry = options.ours ? await chatEntry() : undefined
  const pg = await provideBenchPostgres()
  out(`postgresql: ${pg.serverVersion}, ${pg.source}`)
  await liftRateLimits(pg.url(null))
  const redis = await provideBenchRedis()
  out(`redis: ${redis.description}`)
  if (entry) out(`function: ${entry.description}`)

  const idleChats = Math.ceil(options.connections / IDLE_PER_CHAT)
  const chats = await seedChats(
    pg.url(null),
    Math.max(options.idle ? idleChats : 0, options.fanout ? options.chats : 0),
  )
  const perMinute = (options.rate / options.chats) * 60
  const limits = await liftChatLimits(pg.url(null), {
    maxConnectionsPerUser: Math.max(IDLE_PER_CHAT, Math.ceil(PER_CHAT / 2)),
    // Every action of a chat comes on one socket: room for twice the steady rate.
    actionsPerMinute: Math.ceil(perMinute * 2),
  })
  if (limits.actionsPerMinute > 6000) {
    throw new Error(
      `--rate ${options.rate} over ${options.chats} chats is ${perMinute.toFixed(0)} actions a minute per socket; the chat config allows 6000 at most: add --chats`,
    )
  }
  out(
    `chat config: max_connections_per_user ${limits.maxConnectionsPerUser}, actions_per_minute ${limits.actionsPerMinute}; ${chats.length} users, one chat each`,
  )
  const settings: string[] = []
  if (options.idle) {
    settings.push(
      `idle: ${options.connections} connections, ${IDLE_PER_CHAT} per chat (${idleChats} chats), ${options.window} handshakes in flight, held ${options.hold} s, bare first`,
    )
  }
  if (options.fanout) {
    settings.push(
      `fan-out: ${options.chats} chats × ${PER_CHAT} sockets = ${options.chats * PER_CHAT} over 2 servers; ${options.actions} pings per side after ${options.warmup} warm-up at ${options.rate}/s, in ${options.rounds} rounds, the sides taking turns (bare ours, ours bare, …); both sides' servers and sockets up throughout`,
    )
  }
  out(`settings: ${settings.join('; ')}`)

  const auth = await createTestAuth()
  const jwksUrl = await serveJwks(auth.keys.publicJwks())
  const logs = await logDirectory('tenantry-bench-chat-')
  const tokens = async (of: readonly SeededChat[]) =>
    Promise.all(of.map((chat) => auth.bearer({ id: chat.userId, handle: chat.handle })))
  const env = (port: number) =>
    functionEnv({
      port,
      databaseUrl: pg.url('tenantry_app'),
      jwksUrl,
      logLevel: 'warn',
      extra: { REDIS_URL: redis.url },
    })
  const startOurs = (name: string) =>
    startServer(name, [...LOOPBACK_FLAGS, entry?.path ?? ''], logs, env)
  const startBare = (name: string, withRedis: boolean) =>
    startServer(name, [`${ROOT}bench/lib/bare-ws.ts`], logs, (port) => ({
      PORT: String(port),
      ...(withRedis ? { REDIS_URL: redis.url } : {}),
    }))

  // ---- idle connections ---------------------------------------------------------------
  let idle: { bare: IdleResult; ours?: IdleResult } | undefined
  if (options.idle) {
    const of = chats.slice(0, idleChats)
    const bearers = await tokens(of)
    const targetsOn = (port: number) =>
      Array.from({ length: options.connections }, (_, i) => {
        const c = Math.floor(i / IDLE_PER_CHAT)
        return {
          url: `ws://127.0.0.1:${port}/v1/chats/${of[c]?.chatId}/ws`,
          authorization: bearers[c] as string,
        }
      })
    const measure = async (server: Server) => {
      try {
        return await runIdle({
          child: server.child,
          targets: targetsOn(server.port),
          window: options.window,
          holdMs: options.hold * 1000,
        })
      } finally {
        await server.child.stop()
      }
    }
    const bare = await measure(await startBare('bare idle server', false))
    printIdle('bare (lib/bare-ws.ts)', bare)
    idle = { bare }
    if (entry) {
      idle.ours = await measure(await startOurs('chat idle'))
      printIdle('ours (chat function)', idle.ours)
    }
  }

  // ---- fan-out ------------------------------------------------------------------------
  let fanout: { bare: FanoutResult; ours?: FanoutResult } | undefined
  if (options.fanout) {
    const of = chats.slice(0, options.chats)
    const bearers = await tokens(of)
    const command = new Redis(redis.url, { maxRetriesPerRequest: 1 })
    command.on('error', () => {})
    onCleanup('close the Redis command connection', () => command.disconnect())
    const side = (servers: Server[], channelOf: (chatId: string) => string) => {
      const [a, b] = servers
      if (!a || !b) throw new Error('two servers expected')
      return new FanoutSide({
        chats: of.map((chat, c) => ({ chatId: chat.chatId, authorization: bearers[c] as string })),
        perChat: PER_CHAT,
        ports: [a.port, b.port],
        rate: options.rate,
        window: options.window,
        settleMs: options.settle * 1000,
        subscribed: () =>
          subscribedEverywhere(
            command,
            of.map((chat) => channelOf(chat.chatId)),
            servers.map((s) => s.child),
          ),
      })
    }
    const servers = await Promise.all([
      startBare('bare relay 1', true),
      startBare('bare relay 2', true),
      ...(entry ? [startOurs('chat 1'), startOurs('chat 2')] : []),
    ])
    const sides = [
      { name: 'bare', side: side(servers.slice(0, 2), (chatId) => `bare-chat:${chatId}`) },
      ...(entry
        ? [{ name: 'ours', side: side(servers.slice(2, 4), (chatId) => `chat:${chatId}`) }]
        : []),
    ]
    try {
      for (const { side } of sides) await side.open()
      for (const { side } of sides) await side.send(options.warmup, false)
      const oursPorts = servers.slice(2, 4).map((s) => s.port)
      const metricsBefore = entry ? await fanoutHistogram(oursPorts) : undefined
      const perRound = Math.ceil(options.actions / options.rounds)
      for (let round = 0; round < options.rounds; round++) {
        const count = Math.min(perRound, options.actions - round * perRound)
        if (count <= 0) break
        // A B, B A, …: drift on a shared machine lands on both sides alike.
        const order = round % 2 === 0 ? sides : [...sides].reverse()
        for (const { side } of order) await side.send(count, true)
        process.stderr.write(`fan-out round ${round + 1}/${options.rounds} done\n`)
      }
      const died = servers.filter((s) => s.child.done)
      if (died.length > 0) {
        throw new Error(`exited during the run: ${died.map((s) => s.child.name).join(', ')}`)
      }
      const metrics = metricsBefore && since(await fanoutHistogram(oursPorts), metricsBefore)
      const results = sides.map(({ name, side }) => ({ name, result: side.result() }))
      const bare = results[0]?.result as FanoutResult
      fanout = { bare, ours: results[1]?.result }
      printFanout('bare (2 × lib/bare-ws.ts + Redis)', bare)
      if (fanout.ours) printFanout('ours (2 × chat function + Redis)', fanout.ours)
      if (fanout.ours) {
        const ours = fanout.ours
        const ratios = bare.runP99.map((p99, i) =>
          (p99 / (ours.runP99[i] ?? Number.NaN)).toFixed(2),
        )
        out(`  p99 ratio per round, bare / ours: ${ratios.join(', ')}`)
      }
      if (metrics) {
        out(
          `  the function's chat_fanout_latency_seconds over the measured rounds (bus publish → written to a stream, ms clock): mean ${(metrics.count > 0 ? (metrics.sum / metrics.count) * 1000 : Number.NaN).toFixed(2)} ms, p50 ≤ ${percentileBound(metrics, 50)} ms, p99 ≤ ${percentileBound(metrics, 99)} ms (bucket bounds), ${metrics.count} writes`,
        )
      }
    } finally {
      for (const { side } of sides) await side.close()
      await Promise.all(servers.map((s) => s.child.stop()))
    }
  }

  // ---- summary ------------------------------------------------------------------------
  out('')
  if (idle?.ours) out(`kb_per_conn ${idle.ours.kibPerConnection.toFixed(2)}`)
  if (idle) out(`bare_kb_per_conn ${idle.bare.kibPerConnection.toFixed(2)}`)
  const { ours, bare } = fanout ?? {}
  if (ours) {
    out(`p50_ms ${ours.latency.percentile(50).toFixed(2)}`)
    out(`p99_ms ${ours.latency.percentile(99).toFixed(2)}`)
  }
  if (bare) {
    out(`bare_p50_ms ${bare.latency.percentile(50).toFixed(2)}`)
    out(`bare_p99_ms ${bare.latency.percentile(99).toFixed(2)}`)
  }
  const checked = ours ?? bare
  if (checked) {
    out(`${ours ? '' : 'bare_'}lost ${checked.lost}`)
    out(`${ours ? '' : 'bare_'}duplicates ${checked.duplicates}`)
  }
  if (ours && bare) {
    out(`ratio ${(bare.latency.percentile(99) / ours.latency.percentile(99)).toFixed(2)}`)
  }
  for (const result of [bare, ours]) {
    if (result && (result.lost > 0 || result.duplicates > 0 || result.outOfOrder > 0)) {
      process.exitCode = 1
    }
  }
})

// ---- output -------------------------------------------------------------------------

function printIdle(side: string, r: IdleResult): void {
  const mib = (kib: number) => (kib / 1024).toFixed(1)
  out(
    `idle ${side}: ${r.connections} connections open in ${(r.openMs / 1000).toFixed(1)} s; VmRSS ${mib(r.rssBefore)} → ${mib(r.rssAfter)} MiB (peak ${mib(r.rssPeak)}): ${r.kibPerConnection.toFixed(2)} KiB per connection at the end of the hold, ${((r.rssPeak - r.rssBefore) / r.connections).toFixed(2)} at the peak`,
  )
}

function printFanout(side: string, r: FanoutResult): void {
  const l = r.latency
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-')
  out(
    `fan-out ${side}: action → each stream's reply, ms: p50 ${f(l.percentile(50))}, p90 ${f(l.percentile(90))}, p99 ${f(l.percentile(99))}, max ${f(l.percentile(100))}, mean ${f(l.mean())}; ${l.count} samples`,
  )
  const others = [...r.others].map(([kind, n]) => `${kind} ×${n}`).join(', ') || 'none'
  const closes = [...r.closes].map(([code, n]) => `${code} ×${n}`).join(', ') || 'none'
  out(
    `  ${r.received} of ${r.expected} (stream, reply) pairs received; lost ${r.lost}, duplicates ${r.duplicates}, out of order ${r.outOfOrder}, seq differing between streams ${r.seqMismatch}; other frames: ${others}; closes: ${closes}`,
  )
  out(
    `  p99 per round: ${r.runP99.map(f).join(', ')}; sockets open in ${(r.openMs / 1000).toFixed(1)} s; ${r.achievedRate.toFixed(1)} actions/s achieved, ${r.late} sent late`,
  )
}

function out(line: string): void {
  process.stdout.write(`${line}\n`)
}

// ---- processes ----------------------------------------------------------------------

interface Entry {
  path: string
  description: string
}

/** What the chat function runs from: its bundle, or the source. */
async function chatEntry(): Promise<Entry> {
  if (options.source) {
    return { path: `${ROOT}functions/chat/main.ts`, description: 'functions/chat/main.ts (source)' }
  }
  return benchBundle('chat', options.build)
}

/** Resolves once every channel has a subscriber from each of the two servers. */
async function subscribedEverywhere(
  redis: Redis,
  channels: readonly string[],
  children: Child[],
): Promise<void> {
  const deadline = performance.now() + 20_000
  for (;;) {
    let missing = 0
    for (let i = 0; i < channels.length; i += 200) {
      const reply = (await redis.pubsub('NUMSUB', ...channels.slice(i, i + 200))) as unknown[]
      for (let j = 1; j < reply.length; j += 2) if (Number(reply[j]) < 2) missing++
    }
    if (missing === 0) return
    const dead = children.find((child) => child.done)
    if (dead) throw new Error(`${dead.name} exited before subscribing:\n${dead.output()}`)
    if (performance.now() > deadline) {
      throw new Error(`${missing} chat channels without a subscriber on each server after 20 s`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
