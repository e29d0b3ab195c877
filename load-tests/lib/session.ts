import type { Request, Response } from './client.ts'
import { isRecord, num, text } from './json.ts'
import { ROUTES } from './routes.ts'
import type { GuestSession, JourneyContext, VuState } from './vu.ts'

/**
 * A VU's guest: signed in once and kept for the whole run (guest sign-in is limited per
 * client address, 30 a minute by default, and a load generator is one address), its
 * access token renewed with the refresh token before it expires.
 */

/** Renew at this share of the access token's lifetime (the guest's and the machine client's). */
export const RENEW_SHARE = 0.8
/** Never wait longer than a window for a sign-in slot (Retry-After is at most 60 s by default). */
const MAX_RETRY_AFTER_S = 60

/**
 * Signs in a new guest. A 429 here is the documented per-address limit doing its job
 * when more VUs start in a minute than it allows: counted in `rate_limited`, waited out
 * for `Retry-After`, then tried again — not a failure.
 */
export async function signIn(ctx: JourneyContext): Promise<GuestSession | undefined> {
  const { client } = ctx
  for (;;) {
    const res = await client.request({
      method: 'POST',
      path: '/v1/auth/guest',
      route: ROUTES.guestSignIn,
      expect: [201, 429],
    })
    if (res.status === 429) {
      client.add('rate_limited', 1, { route: ROUTES.guestSignIn })
      const retryAfter = Number(res.headers['retry-after'])
      const seconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1
      await client.sleep(Math.min(seconds, MAX_RETRY_AFTER_S) * 1000)
      continue
    }
    const session = sessionOf(ctx, res)
    client.check('guest signed in', res.status === 201 && session !== undefined)
    return session
  }
}

/** Trades the refresh token for a new pair; false (and the session dropped) when refused. */
export async function refresh(ctx: JourneyContext, vu: VuState): Promise<boolean> {
  const current = vu.guest
  if (!current) return false
  const res = await ctx.client.request({
    method: 'POST',
    path: '/v1/auth/refresh',
    route: ROUTES.refresh,
    body: { refresh_token: current.refreshToken },
    expect: [200],
  })
  const next = sessionOf(ctx, res)
  const ok = ctx.client.check(
    'token refreshed',
    res.status === 200 &&
      next !== undefined &&
      next.userId === current.userId &&
      next.refreshToken !== current.refreshToken,
  )
  // A refused refresh leaves nothing to go on with: the next iteration signs in again.
  vu.guest = ok ? next : undefined
  return ok
}

/** The VU's guest, signed in on first use. */
export async function guestOf(ctx: JourneyContext, vu: VuState): Promise<GuestSession | undefined> {
  if (!vu.guest) vu.guest = await signIn(ctx)
  if (vu.guest && ctx.client.now() >= vu.guest.renewAt) await refresh(ctx, vu)
  return vu.guest
}

/**
 * A request as the VU's guest: paced under the per-user limit, with its bearer token.
 * Resolves with status 0 when there is no guest to send it as.
 */
export async function asGuest(
  ctx: JourneyContext,
  vu: VuState,
  request: Request,
): Promise<Response> {
  const guest = await guestOf(ctx, vu)
  if (!guest) return { status: 0, headers: {}, json: undefined }
  return paced(ctx, vu, request, guest.accessToken)
}

/**
 * Sends with `Authorization: Bearer <token>`, spaced by the VU's pacer; `sending` is
 * called once the pacer lets it go (to time from there, not from before the wait).
 */
export async function paced(
  ctx: JourneyContext,
  vu: VuState,
  request: Request,
  token: string,
  sending?: () => void,
): Promise<Response> {
  await vu.pacer.wait(ctx.client)
  sending?.()
  const res = await ctx.client.request({
    ...request,
    headers: { ...request.headers, Authorization: `Bearer ${token}` },
  })
  vu.pacer.learn(res.headers)
  return res
}

function sessionOf(ctx: JourneyContext, res: Response): GuestSession | undefined {
  const body = res.json
  const accessToken = text(body, 'access_token')
  const refreshToken = text(body, 'refresh_token')
  const expiresIn = num(body, 'expires_in')
  const user = isRecord(body) ? body.user : undefined
  const userId = text(user, 'id')
  if (!accessToken || !refreshToken || !userId || expiresIn === undefined) return undefined
  return {
    userId,
    accessToken,
    refreshToken,
    renewAt: ctx.client.now() + expiresIn * 1000 * RENEW_SHARE,
  }
}
