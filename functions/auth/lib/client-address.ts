import { isIP } from 'node:net'
import type { Context } from 'hono'
import type { AppEnv } from '#shared/http/app-env.ts'

/**
 * The client address that guest sign-in is rate-limited by (API.md: per address).
 *
 * - By default: the TCP peer, from the socket. X-Forwarded-For is ignored, since any
 *   client can send one and would pick its own rate-limit bucket.
 * - With AUTH_TRUST_PROXY=true: the first (left-most) X-Forwarded-For entry. Use it only
 *   when the function is reachable through the proxy chain alone (Knative: the Gateway,
 *   then the activator and queue-proxy, so the socket peer is always the local
 *   queue-proxy) AND the edge proxy replaces a client-sent X-Forwarded-For instead of
 *   appending to it (Envoy Gateway: a ClientTrafficPolicy with `clientIPDetection`, or
 *   `use_remote_address` with no trusted hops). Otherwise the left-most entry is the
 *   client's own choice. A missing or malformed entry falls back to the socket peer.
 *
 * IPv6 clients are counted per /64: one subscriber line usually gets a whole /64, so a
 * per-address limit would be no limit at all.
 */
export function clientAddress(c: Context<AppEnv>, trustProxy: boolean): string {
  if (trustProxy) {
    const first = c.req.header('x-forwarded-for')?.split(',')[0]?.trim()
    const forwarded = first === undefined ? undefined : normalize(first)
    if (forwarded !== undefined) return forwarded
  }
  return normalize(socketAddress(c) ?? '') ?? 'unknown'
}

/** The Node adapter's socket, where @hono/node-server's getConnInfo reads it too. */
function socketAddress(c: Context<AppEnv>): string | undefined {
  const bindings = c.env as
    | { incoming?: { socket?: { remoteAddress?: string } }; server?: unknown }
    | undefined
  return bindings?.incoming?.socket?.remoteAddress
}

/** `1.2.3.4`, `::ffff:1.2.3.4` → `1.2.3.4`; IPv6 → its /64 prefix; not an IP → undefined. */
export function normalize(address: string): string | undefined {
  const kind = isIP(address)
  if (kind === 4) return address
  if (kind !== 6) return undefined
  const groups = expand(address)
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6] ?? 0, groups[7] ?? 0]
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`
}

/** Eight 16-bit groups of a valid IPv6 address (`::` and a dotted IPv4 tail expanded). */
function expand(address: string): number[] {
  let text = address.split('%')[0] ?? '' // zone id
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  return [...left, ...Array(8 - left.length - right.length).fill(0), ...right]
}
