import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { FUNCTIONS } from '#platform/functions.ts'
import { renderKustomize } from '#test/manifests/render.ts'
import { configMap } from './config.ts'
import { ENVIRONMENT_NAMES, environment } from './environments.ts'
import { knativeService } from './knative-service.ts'
import { migrationJob } from './migration-job.ts'
import { httpRoute } from './routes.ts'

/**
 * Each overlay, rendered by kustomize as Argo CD renders it, is exactly what the
 * generator makes for that environment: so the patches carry every difference and
 * nothing else, and `npm run deploy -- <fn> --env <env>` (which applies
 * knativeService(fn, { environment })) runs the same Service Argo CD would.
 */

const root = fileURLToPath(new URL('../..', import.meta.url))

const rendered = new Map(
  await Promise.all(
    ENVIRONMENT_NAMES.map(async (name) => {
      const docs = await renderKustomize(join(root, `knative/overlays/${name}`))
      return [name, docs as Record<string, unknown>[]] as const
    }),
  ),
)

type Doc = { kind: string; metadata: { name: string } }
const find = (docs: Record<string, unknown>[], kind: string, name: string) =>
  docs.find((doc) => (doc as Doc).kind === kind && (doc as Doc).metadata.name === name)

describe.each(ENVIRONMENT_NAMES)('knative/overlays/%s', (name) => {
  const docs = rendered.get(name) ?? []
  const env = environment(name)

  it.each(FUNCTIONS.map((fn) => [fn.name, fn] as const))(
    '%s: the Service is knativeService(fn, { environment }) and its route the environment’s',
    (_fn, fn) => {
      expect(find(docs, 'Service', fn.name)).toEqual(knativeService(fn, { environment: name }))
      expect(find(docs, 'HTTPRoute', fn.name)).toEqual(httpRoute(fn, env))
    },
  )

  it('has the environment’s ConfigMap and migration Job', () => {
    expect(find(docs, 'ConfigMap', 'tenantry-env')).toEqual(configMap(env))
    expect(find(docs, 'Job', 'migrate')).toEqual(migrationJob(env))
  })
})

describe('the environments differ where they should', () => {
  it('prod pins every image by digest; dev and staging follow main', () => {
    const images = (env: (typeof ENVIRONMENT_NAMES)[number]) =>
      FUNCTIONS.map(
        (fn) => knativeService(fn, { environment: env }).spec.template.spec.containers[0].image,
      )
    expect(images('prod').every((image) => /@sha256:[0-9a-f]{64}$/.test(image))).toBe(true)
    expect(images('dev').every((image) => image.endsWith(':main'))).toBe(true)
  })
})
