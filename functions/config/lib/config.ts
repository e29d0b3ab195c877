import * as v from 'valibot'
import { isConfigService } from '#shared/config/schemas.ts'
import { ApiError } from '#shared/http/errors.ts'

/** A service's config as the API shows it (API.md "config"). */
export interface ServiceConfig {
  service: string
  version: number
  data: Record<string, unknown>
  updated_at: string
  updated_by: string
}

const Timestamp = v.pipe(v.string(), v.isoTimestamp())
const Version = v.pipe(v.number(), v.integer(), v.minValue(1))

export const ServiceConfigSchema = v.object({
  service: v.string(),
  version: Version,
  data: v.record(v.string(), v.unknown()),
  updated_at: Timestamp,
  updated_by: v.string(),
})

export const ConfigListSchema = v.object({
  items: v.array(v.object({ service: v.string(), version: Version, updated_at: Timestamp })),
})

export const HistorySchema = v.object({
  items: v.array(
    v.object({
      version: Version,
      data: v.record(v.string(), v.unknown()),
      updated_by: v.string(),
      updated_at: Timestamp,
    }),
  ),
  next_cursor: v.nullable(v.string()),
})

/** A `{service}` path parameter: a service with a schema, or the same 404 as no row. */
export function serviceParam(name: string): string {
  if (!isConfigService(name)) throw new ApiError('CONFIG_NOT_FOUND')
  return name
}

/** `"7"`: the ETag of version 7 (a strong validator: the version names the data). */
export const etag = (version: number) => `"${version}"`
