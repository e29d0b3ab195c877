/**
 * The public API host's path routing: which function owns which paths (DESIGN.md §1).
 * One table, used by the embedded default's dispatcher today and meant to generate the
 * Gateway API HTTPRoutes of the cluster, so both route the same way.
 */
export type FunctionName = 'auth' | 'orgs' | 'projects' | 'config' | 'chat'

// First match wins, so the more specific rules come first.
export const GATEWAY_ROUTES: ReadonlyArray<{ owner: FunctionName; path: RegExp }> = [
  { owner: 'auth', path: /^\/v1\/auth(\/|$)/ },
  { owner: 'auth', path: /^\/\.well-known\/jwks\.json$/ },
  { owner: 'chat', path: /^\/v1\/projects\/[^/]+\/chats\/?$/ },
  { owner: 'chat', path: /^\/v1\/(chat|chats)(\/|$)/ },
  { owner: 'projects', path: /^\/v1\/orgs\/[^/]+\/projects\/?$/ },
  { owner: 'projects', path: /^\/v1\/projects(\/|$)/ },
  { owner: 'orgs', path: /^\/v1\/orgs(\/|$)/ },
  { owner: 'orgs', path: /^\/v1\/invites(\/|$)/ },
  { owner: 'config', path: /^\/v1\/configs(\/|$)/ },
]

/** The function that owns a path, or undefined (then the host itself answers: 404). */
export function ownerOf(path: string): FunctionName | undefined {
  return GATEWAY_ROUTES.find((route) => route.path.test(path))?.owner
}
