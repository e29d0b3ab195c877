import type { Hono } from 'hono'
import type { AppEnv } from '#shared/http/app-env.ts'
import { functionApp } from '#shared/http/mount.ts'
import type { ProjectsDeps } from './deps.ts'
import { projectMetrics } from './lib/metrics.ts'
import { createProject } from './routes/create-project.ts'
import { deleteProject } from './routes/delete-project.ts'
import { getProject } from './routes/get-project.ts'
import { listProjects } from './routes/list-projects.ts'
import { updateProject } from './routes/update-project.ts'

/** The projects function's route table. */
export const PROJECTS_ROUTES = [
  createProject,
  listProjects,
  getProject,
  updateProject,
  deleteProject,
]

/** The projects function's app. Opens no sockets and reads no environment. */
export function createProjectsApp(deps: ProjectsDeps): Hono<AppEnv> {
  // Registered now, so the business series exist (at 0) from the first scrape on.
  projectMetrics(deps.metrics)
  return functionApp(PROJECTS_ROUTES, deps)
}
