import { createHash, randomBytes } from 'node:crypto'

/**
 * Invite codes: 256 random bits, base64url (43 characters). Only the SHA-256 of a code
 * is stored; a fast hash is enough because the code is random, not a password.
 */
const CODE = /^[A-Za-z0-9_-]{43}$/

export function newInviteCode(): string {
  return randomBytes(32).toString('base64url')
}

/** Whether a string can be a code at all; anything else is INVITE_NOT_FOUND unseen. */
export function isInviteCode(value: string): boolean {
  return CODE.test(value)
}

export function hashInviteCode(code: string): Buffer {
  return createHash('sha256').update(code).digest()
}
