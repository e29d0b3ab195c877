import type { Request, Response } from './client.ts'
import { isRecord, items, num, text } from './json.ts'
import { ROUTES, type RouteName } from './routes.ts'
import { paced, RENEW_SHARE } from './session.ts'
import type { JourneyContext, VuState } from './vu.ts'

/**
 * The config scenario, as an operator's tool would do it: a machine token by
 * client_credentials (CLIENT_ID / CLIENT_SECRET), renewed before it expires; read the
 * config and its ETag; write it back with `If-Match` (its own data, so the service's
 * behaviour does not change — only the version moves); then reads that must see the new
 * version, and, where `/readyz` shows the configs a process holds, the time until it
 * holds it. Every VU shares the one client, and so its rate limit: each paces itself to
 * its share. A 412 is another VU's write landing first — the precondition working — so
 * it is counted (`config_conflicts`), not failed, and the next iteration starts over.
 */

export const CONFIG_ROUTES: readonly RouteName[] = [
  ROUTES.clientToken,
  ROUTES.getConfig,
  ROUTES.putConfig,
  ROUTES.listConfigs,
]

const READS_AFTER_WRITE = 3
const PROPAGATION_TIMEOUT_MS = 2_000
const POLL_MS = 5

export async function configJourney(ctx: JourneyContext, vu: VuState): Promise<void> {
  const { client, settings } = ctx
  const service = settings.configService
  const token = await machineToken(ctx, vu)
  if (!token) return
  const send = (request: Request, sending?: () => void) => paced(ctx, vu, request, token, sending)

  const read = await send({
    method: 'GET',
    path: `/v1/configs/${service}`,
    route: ROUTES.getConfig,
    expect: [200],
  })
  const version = num(read.json, 'version')
  const etag = read.headers.etag
  const data = isRecord(read.json) ? read.json.data : undefined
  const readable =
    read.status === 200 && version !== undefined && etag === `"${version}"` && data !== undefined
  if (!client.check('config read with its ETag', readable) || !etag) return

  let sentAt = 0
  const written = await send(
    {
      method: 'PUT',
      path: `/v1/configs/${service}`,
      route: ROUTES.putConfig,
      headers: { 'If-Match': etag },
      body: { data },
      expect: [200, 412],
    },
    () => {
      sentAt = client.now()
    },
  )
  if (written.status === 412) {
    client.add('config_conflicts', 1)
    return
  }
  const newVersion = num(written.json, 'version')
  const bumped = written.status === 200 && newVersion !== undefined && newVersion > (version ?? 0)
  if (!client.check('config written', bumped) || newVersion === undefined) return

  if (vu.readyzShowsConfigs) await timePropagation(ctx, vu, service, newVersion, sentAt)

  for (let i = 0; i < READS_AFTER_WRITE; i++) {
    const again = await send({
      method: 'GET',
      path: `/v1/configs/${service}`,
      route: ROUTES.getConfig,
      expect: [200],
    })
    const seen = num(again.json, 'version')
    const fresh = again.status === 200 && seen !== undefined && seen >= newVersion
    client.add('config_read_fresh', fresh ? 1 : 0)
    client.check('read sees the new version', fresh && again.headers.etag === `"${seen}"`)
  }
  const listed = await send({
    method: 'GET',
    path: '/v1/configs',
    route: ROUTES.listConfigs,
    expect: [200],
  })
  const entry = items(listed.json).find((item) => item.service === service)
  const listedVersion = num(entry, 'version')
  const fresh = listed.status === 200 && listedVersion !== undefined && listedVersion >= newVersion
  client.add('config_read_fresh', fresh ? 1 : 0)
  client.check('list sees the new version', fresh)
}

/** The VU's machine token, fetched on first use and again before it expires. */
async function machineToken(ctx: JourneyContext, vu: VuState): Promise<string | undefined> {
  const { client, settings } = ctx
  if (vu.machine && client.now() < vu.machine.renewAt) return vu.machine.accessToken
  const res: Response = await client.request({
    method: 'POST',
    path: '/v1/auth/token',
    route: ROUTES.clientToken,
    body: {
      grant_type: 'client_credentials',
      client_id: settings.clientId,
      client_secret: settings.clientSecret ?? '',
      scope: 'config:read config:write',
    },
    expect: [200],
  })
  const accessToken = text(res.json, 'access_token')
  const expiresIn = num(res.json, 'expires_in')
  const ok = res.status === 200 && accessToken !== undefined && expiresIn !== undefined
  if (!client.check('machine token issued', ok) || !accessToken || expiresIn === undefined) {
    vu.machine = undefined
    return undefined
  }
  vu.machine = { accessToken, renewAt: client.now() + expiresIn * 1000 * RENEW_SHARE }
  return accessToken
}

/**
 * Polls `/readyz` (no auth, not rate-limited) until the process shows the new version.
 * A 404 means the target does not route it (the cluster gateway): stop asking.
 */
async function timePropagation(
  ctx: JourneyContext,
  vu: VuState,
  service: string,
  version: number,
  sentAt: number,
): Promise<void> {
  const { client } = ctx
  const deadline = sentAt + PROPAGATION_TIMEOUT_MS
  for (;;) {
    const res = await client.request({
      method: 'GET',
      path: '/readyz',
      route: ROUTES.readyz,
      expect: [200, 404],
    })
    if (res.status === 404) {
      vu.readyzShowsConfigs = false
      return
    }
    const configs = isRecord(res.json) ? res.json.configs : undefined
    const held = num(configs, service)
    if (held !== undefined && held >= version) {
      client.add('config_propagation', client.now() - sentAt)
      return
    }
    if (client.now() >= deadline) {
      // Not applied within the deadline: recorded as the deadline, so p99 shows it.
      client.add('config_propagation', client.now() - sentAt)
      client.check('config applied', false)
      return
    }
    await client.sleep(POLL_MS)
  }
}
