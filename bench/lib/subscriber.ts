import { Redis } from 'ioredis'

/**
 * The floor of `npm run bench:config`, run as its own process (one per replica): a bare
 * ioredis SUBSCRIBE that writes, for every message, the moment it arrived and the message
 * itself to stdout — `<ms since the epoch, µs precision> <message>` — and nothing else:
 * no parsing, no SQL, no logger. The benchmark reads the lines back from the log file
 * spawnNode gives it (writes to a file are synchronous, so a line is complete once the
 * message is handled). The clock is the machine's wall clock at high resolution
 * (performance.timeOrigin + performance.now()), the one the benchmark stamps its
 * PUBLISHes with.
 *
 * Env: REDIS_URL, CHANNEL. Prints `subscribed` once the SUBSCRIBE is acknowledged.
 */

const url = process.env.REDIS_URL
const channel = process.env.CHANNEL
if (!url || !channel) {
  process.stderr.write('subscriber: REDIS_URL and CHANNEL are required\n')
  process.exit(1)
}

const redis = new Redis(url)
redis.on('error', (error: unknown) => {
  process.stderr.write(`subscriber: ${error instanceof Error ? error.message : error}\n`)
})
redis.on('message', (_channel: string, message: string) => {
  const at = performance.timeOrigin + performance.now()
  process.stdout.write(`${at.toFixed(3)} ${message}\n`)
})
await redis.subscribe(channel)
process.stdout.write('subscribed\n')

process.once('SIGTERM', () => {
  redis.disconnect()
  process.exit(0)
})
