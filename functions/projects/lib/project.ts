import * as v from 'valibot'
import { ApiError } from '#shared/http/errors.ts'

/** A project as the API shows it (API.md "projects"). */
export interface Project {
  id: string
  org_id: string
  name: string
  description: string
  created_at: string
  updated_at: string
}

/** The response shape, for the OpenAPI document. */
export const ProjectSchema = v.object({
  id: v.pipe(v.string(), v.uuid()),
  org_id: v.pipe(v.string(), v.uuid()),
  name: v.string(),
  description: v.string(),
  created_at: v.pipe(v.string(), v.isoTimestamp()),
  updated_at: v.pipe(v.string(), v.isoTimestamp()),
})

export const ProjectListSchema = v.object({
  items: v.array(ProjectSchema),
  next_cursor: v.nullable(v.string()),
})

export const ProjectDescription = v.pipe(
  v.string('must be a string'),
  v.maxLength(1000, 'must be at most 1000 characters'),
)

/** PostgreSQL's unique violation of (org_id, name) as the API's 409. */
export function nameTaken(error: unknown): never {
  const pg = error as { code?: string; constraint_name?: string }
  if (pg.code === '23505' && pg.constraint_name === 'projects_org_id_name_key') {
    throw new ApiError('PROJECT_NAME_TAKEN')
  }
  throw error
}
