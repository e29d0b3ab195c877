import { describe, expect, it } from 'vitest'
import { ownerOf } from './gateway.ts'

describe('gateway path routing (API.md → functions)', () => {
  it.each([
    ['/v1/auth/guest', 'auth'],
    ['/v1/auth/refresh', 'auth'],
    ['/v1/auth/token', 'auth'],
    ['/.well-known/jwks.json', 'auth'],
    ['/v1/orgs', 'orgs'],
    ['/v1/orgs/0b2c', 'orgs'],
    ['/v1/orgs/0b2c/members', 'orgs'],
    ['/v1/orgs/0b2c/members/9f1e', 'orgs'],
    ['/v1/orgs/0b2c/invites', 'orgs'],
    ['/v1/invites/abc/accept', 'orgs'],
    ['/v1/orgs/0b2c/projects', 'projects'],
    ['/v1/projects/1a2b', 'projects'],
    ['/v1/configs', 'config'],
    ['/v1/configs/chat/history', 'config'],
    ['/v1/chat/actions', 'chat'],
    ['/v1/projects/1a2b/chats', 'chat'],
    ['/v1/chats/1a2b/ws', 'chat'],
    ['/v1/chats/1a2b/events', 'chat'],
  ])('%s → %s', (path, owner) => {
    expect(ownerOf(path)).toBe(owner)
  })

  it.each(['/', '/v1', '/v1/authx', '/v1/orgsx', '/v1/projectsx', '/docs'])(
    '%s → no function',
    (path) => {
      expect(ownerOf(path)).toBeUndefined()
    },
  )
})
