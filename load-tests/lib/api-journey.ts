import { items, text, uniqueId } from './json.ts'
import { ROUTES, type RouteName } from './routes.ts'
import { asGuest, guestOf, refresh } from './session.ts'
import type { JourneyContext, VuState } from './vu.ts'

/**
 * The main journey (smoke, load, spike, soak): as the VU's guest, create an org, two
 * projects in it, list the orgs and the org's projects and find what was made, delete the
 * org (its projects go with it, so nothing piles up against the 100-projects quota or in
 * the database), and refresh the token. Creations carry an Idempotency-Key, as a careful
 * client's would. Each answer is checked for its content, not only its status.
 */

export const API_JOURNEY_ROUTES: readonly RouteName[] = [
  ROUTES.guestSignIn,
  ROUTES.createOrg,
  ROUTES.createProject,
  ROUTES.listOrgs,
  ROUTES.listProjects,
  ROUTES.deleteOrg,
  ROUTES.refresh,
]

const PROJECTS = ['website', 'mobile-app'] as const

export async function apiJourney(ctx: JourneyContext, vu: VuState): Promise<void> {
  const { client } = ctx
  if (!(await guestOf(ctx, vu))) return

  const created = await asGuest(ctx, vu, {
    method: 'POST',
    path: '/v1/orgs',
    route: ROUTES.createOrg,
    body: { name: `Load test ${uniqueId('org')}` },
    headers: { 'Idempotency-Key': uniqueId('key') },
    expect: [201],
  })
  const orgId = text(created.json, 'id')
  const committed =
    created.status === 201 &&
    orgId !== undefined &&
    text(created.json, 'status') === 'committed' &&
    text(created.json, 'role') === 'owner'
  if (!client.check('org created', committed) || orgId === undefined) return

  try {
    const projectIds: string[] = []
    for (const name of PROJECTS) {
      const project = await asGuest(ctx, vu, {
        method: 'POST',
        path: `/v1/orgs/${orgId}/projects`,
        route: ROUTES.createProject,
        body: { name, description: 'made by the load test' },
        headers: { 'Idempotency-Key': uniqueId('key') },
        expect: [201],
      })
      const id = text(project.json, 'id')
      const ok =
        project.status === 201 && id !== undefined && text(project.json, 'org_id') === orgId
      if (client.check('project created', ok) && id !== undefined) projectIds.push(id)
    }

    const orgs = await asGuest(ctx, vu, {
      method: 'GET',
      path: '/v1/orgs?limit=100',
      route: ROUTES.listOrgs,
      expect: [200],
    })
    client.check(
      'orgs list the new org',
      orgs.status === 200 && items(orgs.json).some((org) => org.id === orgId),
    )

    const projects = await asGuest(ctx, vu, {
      method: 'GET',
      path: `/v1/orgs/${orgId}/projects?limit=100`,
      route: ROUTES.listProjects,
      expect: [200],
    })
    const listed = new Set(items(projects.json).map((project) => project.id))
    client.check(
      'projects list the new projects',
      projects.status === 200 && projectIds.every((id) => listed.has(id)),
    )
  } finally {
    const deleted = await asGuest(ctx, vu, {
      method: 'DELETE',
      path: `/v1/orgs/${orgId}`,
      route: ROUTES.deleteOrg,
      expect: [204],
    })
    client.check('org deleted', deleted.status === 204)
  }

  await refresh(ctx, vu)
}
