import type { PathMatch } from '#shared/runtime/definition.ts'
import { FUNCTIONS } from './functions.ts'

/**
 * The public API host's path routing (DESIGN.md §1): which function owns which path.
 * Built from each function's `paths`, in Gateway API's HTTPRoute terms, so that the
 * embedded dispatcher of `npm start` and the HTTPRoutes generated for a cluster route
 * every request the same way.
 *
 * Precedence, highest first, as in Gateway API (HTTPRouteRule): an Exact match, then
 * the longest PathPrefix. RegularExpression matches, whose place Gateway API leaves to
 * the implementation, come between the two, longest first — Envoy Gateway's order
 * (its route sorting: Exact > RegularExpression > PathPrefix) — which is what lets
 * `/v1/orgs/{orgId}/projects` belong to projects inside orgs' `/v1/orgs` prefix.
 */

export interface GatewayRule {
  owner: string
  match: PathMatch
}

const RANK: Record<PathMatch['type'], number> = { Exact: 0, RegularExpression: 1, PathPrefix: 2 }

/** The rules of these functions in precedence order; two owners of one match are an error. */
export function gatewayTable(
  functions: readonly { name: string; paths: readonly PathMatch[] }[],
): GatewayRule[] {
  const seen = new Map<string, string>()
  const rules: GatewayRule[] = []
  for (const fn of functions) {
    for (const match of fn.paths) {
      const key = `${match.type} ${match.value}`
      const other = seen.get(key)
      if (other !== undefined && other !== fn.name) {
        throw new Error(`${key} is claimed by both ${other} and ${fn.name}`)
      }
      seen.set(key, fn.name)
      rules.push({ owner: fn.name, match })
    }
  }
  // Array#sort is stable: equal rules keep the list's order.
  return rules.sort(
    (a, b) =>
      RANK[a.match.type] - RANK[b.match.type] || b.match.value.length - a.match.value.length,
  )
}

/** Whether a request path matches, with Gateway API's semantics for each type. */
export function pathMatches(match: PathMatch, path: string): boolean {
  switch (match.type) {
    case 'Exact':
      return path === match.value
    case 'PathPrefix': {
      // Element by element: `/v1/orgs` matches `/v1/orgs`, `/v1/orgs/` and `/v1/orgs/x`,
      // never `/v1/orgsx`; a trailing slash of the prefix is ignored.
      const prefix = match.value.replace(/\/+$/, '')
      return prefix === '' || path === prefix || path.startsWith(`${prefix}/`)
    }
    case 'RegularExpression':
      // The whole path must match, as Envoy's safe_regex route match does.
      return compiled(match.value).test(path)
  }
}

const regexps = new Map<string, RegExp>()
function compiled(source: string): RegExp {
  let regexp = regexps.get(source)
  if (!regexp) {
    regexp = new RegExp(`^(?:${source})$`)
    regexps.set(source, regexp)
  }
  return regexp
}

/** Every function's rules, in precedence order. */
export const GATEWAY: readonly GatewayRule[] = gatewayTable(FUNCTIONS)

/** The function that owns a path, or undefined (then the host itself answers: 404). */
export function ownerOf(path: string, table: readonly GatewayRule[] = GATEWAY): string | undefined {
  return table.find((rule) => pathMatches(rule.match, path))?.owner
}
