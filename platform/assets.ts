import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Hono } from 'hono'
import type { AppEnv } from '#shared/http/app-env.ts'

/**
 * Static files the process serves itself (/docs, the chat page at /): read and hashed on
 * the first request that needs them, never from elsewhere. An asset asked for with its
 * current hash (`?v=`) is cacheable for a year; otherwise it is `no-cache` with an ETag,
 * and a matching If-None-Match gets 304. Any name not in the table is 404.
 */

export interface Asset {
  body: Uint8Array<ArrayBuffer>
  type: string
  /** The first 16 hex digits of the content's SHA-256: the `?v=` that makes it immutable. */
  version: string
  etag: string
}

export type AssetTable = ReadonlyMap<string, () => Promise<Asset>>

/** The table of `files` (name → where it is and its Content-Type), each loaded once. */
export function assetTable(files: Record<string, { url: () => URL; type: string }>): AssetTable {
  return new Map(
    Object.entries(files).map(([name, file]) => [
      name,
      lazy(async (): Promise<Asset> => {
        const body = await readFile(file.url())
        const version = createHash('sha256').update(body).digest('hex').slice(0, 16)
        return { body, type: file.type, version, etag: `"${version}"` }
      }),
    ]),
  )
}

/** GET `<path>/:file` for every asset of the table. */
export function serveAssets(app: Hono<AppEnv>, path: string, assets: AssetTable): void {
  app.get(`${path}/:file`, async (c) => {
    const load = assets.get(c.req.param('file'))
    if (!load) return c.notFound()
    const asset = await load()
    const headers = {
      'Content-Type': asset.type,
      'Cache-Control': c.req.query('v') === asset.version ? IMMUTABLE : 'no-cache',
      ETag: asset.etag,
      'X-Content-Type-Options': 'nosniff',
    }
    return matches(c.req.header('If-None-Match'), asset.etag)
      ? c.body(null, 304, headers)
      : c.body(asset.body, 200, headers)
  })
}

const IMMUTABLE = 'public, max-age=31536000, immutable'

/** Whether an If-None-Match header names this entity tag (weakly, as RFC 9110 asks for GET). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag)
}

/** Runs `load` once, on the first call; a failure is not kept, the next call tries again. */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined
  return () => {
    value ??= load().catch((error: unknown) => {
      value = undefined
      throw error
    })
    return value
  }
}
