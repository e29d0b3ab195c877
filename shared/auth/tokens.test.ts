import { generateKeyPairSync } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadSigningKey, type SigningKey } from './keys.ts'
import { issueAccessToken, type TokenSubject } from './tokens.ts'

/** What the issuer writes into a token, and what it refuses to write. */

const options = { issuer: 'https://auth.test', audience: 'tenantry-api', lifetimeSeconds: 900 }
let key: SigningKey

beforeAll(async () => {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string
  key = await loadSigningKey(pem)
})

describe('issueAccessToken', () => {
  it('writes exactly the claims of API.md, times from `now`', async () => {
    const now = new Date('2030-01-02T03:04:05.678Z')
    const subject: TokenSubject = { kind: 'user', userId: 'u-1', handle: 'guest-0001' }
    const issued = await issueAccessToken(key, subject, { ...options, now })
    expect(decodeProtectedHeader(issued.token)).toEqual({
      alg: 'ES256',
      kid: key.kid,
      typ: 'at+jwt',
    })
    const iat = Math.floor(now.getTime() / 1000)
    expect(decodeJwt(issued.token)).toEqual({
      iss: options.issuer,
      aud: options.audience,
      sub: 'u-1',
      handle: 'guest-0001',
      iat,
      exp: iat + 900,
      jti: issued.tokenId,
    })
    expect(issued.expiresAt.getTime()).toBe((iat + 900) * 1000)
    expect(issued.tokenId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('a machine token carries scope (space-separated, deduplicated) and no handle', async () => {
    const subject: TokenSubject = {
      kind: 'client',
      clientId: 'ops',
      scopes: ['config:read', 'config:write', 'config:read'],
    }
    const claims = decodeJwt((await issueAccessToken(key, subject, options)).token)
    expect(claims.scope).toBe('config:read config:write')
    expect(claims.sub).toBe('ops')
    expect(claims).not.toHaveProperty('handle')
  })

  it('never writes both handle and scope, even from loosely built subjects', async () => {
    const both = { kind: 'user', userId: 'u', handle: 'guest-1', scopes: ['config:write'] }
    await expect(issueAccessToken(key, both as TokenSubject, options)).rejects.toThrow(/scopes/)
    const both2 = { kind: 'client', clientId: 'c', scopes: [], handle: 'guest-1' }
    await expect(issueAccessToken(key, both2 as TokenSubject, options)).rejects.toThrow(/handle/)
  })

  it('refuses bad input: lifetime, empty ids, scopes with spaces or quotes', async () => {
    const user: TokenSubject = { kind: 'user', userId: 'u', handle: 'guest-1' }
    for (const lifetimeSeconds of [0, -1, 1.5, Number.NaN]) {
      await expect(issueAccessToken(key, user, { ...options, lifetimeSeconds })).rejects.toThrow(
        /lifetime/,
      )
    }
    await expect(issueAccessToken(key, { ...user, userId: '' }, options)).rejects.toThrow()
    await expect(issueAccessToken(key, { ...user, handle: '' }, options)).rejects.toThrow()
    for (const scope of ['a b', 'a"b', 'a\\b', '']) {
      const client: TokenSubject = { kind: 'client', clientId: 'c', scopes: [scope] }
      await expect(issueAccessToken(key, client, options)).rejects.toThrow(/scope/)
    }
  })
})
