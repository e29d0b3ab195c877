import { describe, expect, it } from 'vitest'
import { FUNCTIONS } from './functions.ts'
import { GATEWAY, gatewayTable, ownerOf, pathMatches } from './gateway.ts'

/**
 * The gateway table: Gateway API's match semantics and precedence, and every route of
 * every function reaching its own function.
 */

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
    ['/v1/chats/1a2b', 'chat'],
  ])('%s → %s', (path, owner) => {
    expect(ownerOf(path)).toBe(owner)
  })

  it.each(['/', '/v1', '/v1/authx', '/v1/orgsx', '/v1/projectsx', '/docs'])(
    '%s → no function',
    (path) => {
      expect(ownerOf(path)).toBeUndefined()
    },
  )

  const routes = FUNCTIONS.flatMap((fn) => fn.routes.map((route) => ({ fn: fn.name, route })))
  it.each(routes.map((r) => [`${r.route.method.toUpperCase()} ${r.route.path}`, r] as const))(
    '%s reaches its own function',
    (_label, { fn, route }) => {
      const path = route.path.replace(/:[A-Za-z]+/g, '0b2c9f1e-0000-4000-8000-000000000000')
      expect(ownerOf(path)).toBe(fn)
    },
  )

  it('covers every route (the list is not empty)', () => {
    expect(routes.length).toBeGreaterThanOrEqual(19)
  })
})

describe('Gateway API match semantics', () => {
  it('PathPrefix matches whole path elements, with or without a trailing slash', () => {
    const match = { type: 'PathPrefix', value: '/v1/orgs' } as const
    expect(['/v1/orgs', '/v1/orgs/', '/v1/orgs/a/b'].map((p) => pathMatches(match, p))).toEqual([
      true,
      true,
      true,
    ])
    expect(pathMatches(match, '/v1/orgsx')).toBe(false)
    expect(pathMatches({ type: 'PathPrefix', value: '/v1/orgs/' }, '/v1/orgs')).toBe(true)
  })

  it('Exact matches only the very path, and RegularExpression the whole path', () => {
    const exact = { type: 'Exact', value: '/.well-known/jwks.json' } as const
    expect(pathMatches(exact, '/.well-known/jwks.json')).toBe(true)
    expect(pathMatches(exact, '/.well-known/jwks.json/')).toBe(false)
    const regex = { type: 'RegularExpression', value: '/v1/orgs/[^/]+/projects/?' } as const
    expect(pathMatches(regex, '/v1/orgs/x/projects')).toBe(true)
    expect(pathMatches(regex, '/v1/orgs/x/projects/y')).toBe(false)
    expect(pathMatches(regex, '/a/v1/orgs/x/projects')).toBe(false)
  })

  it('ranks Exact, then RegularExpression, then the longest PathPrefix', () => {
    const table = gatewayTable([
      { name: 'short', paths: [{ type: 'PathPrefix', value: '/a' }] },
      { name: 'long', paths: [{ type: 'PathPrefix', value: '/a/b' }] },
      { name: 'regex', paths: [{ type: 'RegularExpression', value: '/a/[^/]+' }] },
      { name: 'exact', paths: [{ type: 'Exact', value: '/a/b' }] },
    ])
    expect(table.map((rule) => rule.owner)).toEqual(['exact', 'regex', 'long', 'short'])
    expect(ownerOf('/a/b', table)).toBe('exact')
    expect(ownerOf('/a/c', table)).toBe('regex')
    expect(ownerOf('/a/b/c', table)).toBe('long')
    expect(ownerOf('/a', table)).toBe('short')
  })

  it('refuses one match claimed by two functions', () => {
    expect(() =>
      gatewayTable([
        { name: 'a', paths: [{ type: 'PathPrefix', value: '/x' }] },
        { name: 'b', paths: [{ type: 'PathPrefix', value: '/x' }] },
      ]),
    ).toThrow('/x is claimed by both a and b')
  })

  it('holds only the real functions', () => {
    expect(new Set(GATEWAY.map((rule) => rule.owner))).toEqual(
      new Set(FUNCTIONS.map((fn) => fn.name)),
    )
  })
})
