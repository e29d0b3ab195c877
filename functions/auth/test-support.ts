import { type Built, request } from '#test/harness/app.ts'

/** Shared by the auth tests (not a test file itself; never imported by the function). */

/** A guest sign-in that must succeed. */
export async function signIn(built: Built<unknown>, address?: string) {
  const res = await request(built.app, 'POST', '/v1/auth/guest', address ? { address } : {})
  if (res.status !== 201) throw new Error(`guest sign-in failed: ${res.status} ${res.text}`)
  return res.body as {
    access_token: string
    token_type: string
    expires_in: number
    refresh_token: string
    user: { id: string; handle: string }
  }
}

export function refresh(built: Built<unknown>, token: string) {
  return request(built.app, 'POST', '/v1/auth/refresh', { body: { refresh_token: token } })
}
