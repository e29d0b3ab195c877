import { createHash, randomBytes } from 'node:crypto'
import type { Sql } from 'postgres'
import { asSystem, type Tx } from '#shared/db/tenant.ts'

/**
 * Refresh tokens (DESIGN.md §3): opaque, 32 random bytes as base64url (43 characters),
 * stored only as their SHA-256 (`refresh_tokens.token_hash`). A family is one sign-in;
 * each refresh marks the presented token rotated and issues the next one in the family.
 * Presenting a rotated token again is reuse: someone holds a copy, so the whole family
 * is revoked, the newest token included.
 *
 * Lifetime: each new token lives `refresh_token_ttl_seconds` (the `auth` config) from
 * its issue, so an active session slides; an idle one ends when its last token expires.
 */

const TOKEN = /^[A-Za-z0-9_-]{43}$/

export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url')
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

/** Stores a new token of `familyId` for `userId`; the tx may be withUser or asSystem. */
export async function storeRefreshToken(
  tx: Tx,
  userId: string,
  familyId: string,
  ttlSeconds: number,
): Promise<string> {
  const token = newRefreshToken()
  await tx`
    insert into refresh_tokens (user_id, family_id, token_hash, expires_at)
    values (${userId}, ${familyId}, ${hashToken(token)},
            now() + make_interval(secs => ${ttlSeconds}))`
  return token
}

export type Rotation =
  | { outcome: 'rotated'; userId: string; handle: string; refreshToken: string }
  | { outcome: 'reused'; userId: string; familyId: string }
  | { outcome: 'invalid' }

/**
 * Rotates a presented token in one transaction. Race safety comes from the conditional
 * UPDATE: of two concurrent refreshes of one token, the second waits for the first's row
 * lock, re-checks `rotated_at is null` after the first commits, matches nothing, and so
 * takes the reuse path — exactly one wins, and the family (with the winner's new token,
 * already committed) is revoked. We accept that a client racing itself loses its
 * session: the server cannot tell that apart from a thief racing the client.
 *
 * The revocation must commit, so reuse is returned as a value, not thrown (a throw would
 * roll the revocation back).
 */
export function rotate(db: Sql, presented: string, ttlSeconds: number): Promise<Rotation> {
  // Not our format: unknown, without a database round trip.
  if (!TOKEN.test(presented)) return Promise.resolve({ outcome: 'invalid' })
  const hash = hashToken(presented)
  return asSystem(db, 'refresh-token-rotation', async (tx): Promise<Rotation> => {
    const [current] = await tx<{ user_id: string; family_id: string; handle: string }[]>`
      update refresh_tokens r set rotated_at = now()
        from users u
       where r.token_hash = ${hash} and u.id = r.user_id
         and r.rotated_at is null and r.revoked_at is null and r.expires_at > now()
      returning r.user_id, r.family_id, u.handle`
    if (current) {
      const refreshToken = await storeRefreshToken(
        tx,
        current.user_id,
        current.family_id,
        ttlSeconds,
      )
      return { outcome: 'rotated', userId: current.user_id, handle: current.handle, refreshToken }
    }
    const [known] = await tx<{ user_id: string; family_id: string; rotated: boolean }[]>`
      select user_id, family_id, rotated_at is not null as rotated
        from refresh_tokens where token_hash = ${hash}`
    // Expired or already revoked but never rotated: just invalid. Revoking on these
    // would let an old, leaked-then-expired token end a live session for nothing.
    if (!known?.rotated) return { outcome: 'invalid' }
    await tx`
      update refresh_tokens set revoked_at = now()
       where family_id = ${known.family_id} and revoked_at is null`
    return { outcome: 'reused', userId: known.user_id, familyId: known.family_id }
  })
}
