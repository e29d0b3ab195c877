import type { Hono } from 'hono'
import type { AppEnv } from '#shared/http/app-env.ts'
import { currentUser } from '#shared/http/authenticate.ts'
import { idempotency } from '#shared/http/idempotency.ts'
import { createApp } from '#shared/http/platform.ts'
import type { RouteSpec } from '#shared/http/route-spec.ts'
import { protectUserRoutes } from '#shared/http/user-routes.ts'
import type { ProjectsDeps } from './deps.ts'
import { createProjectSpec, registerCreateProject } from './routes/create-project.ts'
import { deleteProjectSpec, registerDeleteProject } from './routes/delete-project.ts'
import { getProjectSpec, registerGetProject } from './routes/get-project.ts'
import { listProjectsSpec, registerListProjects } from './routes/list-projects.ts'
import { registerUpdateProject, updateProjectSpec } from './routes/update-project.ts'

/** The projects function: its route table. Opens no sockets and reads no environment. */
export function createProjectsApp(deps: ProjectsDeps): Hono<AppEnv> {
  const app = createApp({ log: deps.log, ...(deps.metrics ? { metrics: deps.metrics } : {}) })
  protectUserRoutes(app, deps)
  app.post(
    '/v1/orgs/:orgId/projects',
    idempotency({
      db: deps.db,
      userOf: (c) => currentUser(c).userId,
      secret: deps.cursorSecret,
    }),
  )

  registerCreateProject(app, deps)
  registerListProjects(app, deps)
  registerGetProject(app, deps)
  registerUpdateProject(app, deps)
  registerDeleteProject(app, deps)
  return app
}

/** Every route of this function, for the OpenAPI document (a test checks none is missing). */
export const PROJECTS_ROUTES: RouteSpec[] = [
  createProjectSpec,
  listProjectsSpec,
  getProjectSpec,
  updateProjectSpec,
  deleteProjectSpec,
]
