import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { FUNCTIONS, functionNamed } from '#platform/functions.ts'
import { functionEnvSchema } from '#shared/runtime/process.ts'
import { BASE, ENVIRONMENT_NAMES } from './environments.ts'
import { knativeService } from './knative-service.ts'
import { configData, SECRET_VARIABLES } from './variables.ts'

/** What each function's Knative Service takes from its definition. */

const annotations = (name: string, environment?: (typeof ENVIRONMENT_NAMES)[number]) => {
  const fn = functionNamed(name)
  if (!fn) throw new Error(`no function ${name}`)
  return knativeService(fn, { environment }).spec.template.metadata.annotations
}

describe('Knative Services from the profiles', () => {
  it.each(['auth', 'orgs', 'projects', 'config'])('%s scales to zero', (name) => {
    expect(annotations(name)['autoscaling.knative.dev/min-scale']).toBe('0')
  })

  it.each([undefined, ...ENVIRONMENT_NAMES])('chat keeps at least one replica (%s)', (env) => {
    expect(
      Number(annotations('chat', env)['autoscaling.knative.dev/min-scale']),
    ).toBeGreaterThanOrEqual(1)
  })

  it('gives chat a request budget its streams end within, and a heartbeat inside the idle timeout', () => {
    const chat = functionNamed('chat')
    if (!chat) throw new Error('no chat')
    const spec = knativeService(chat).spec.template.spec
    const entry = functionEnvSchema(chat).entries.CHAT_MAX_CONNECTION_AGE_SECONDS
    const maxAge = Number(v.getDefault(entry as v.OptionalSchema<v.GenericSchema, string>))
    expect(maxAge).toBeGreaterThan(0)
    // A stream closes (1012, resume) at its max age plus up to 10 % jitter: before Knative
    // cuts the request at timeoutSeconds.
    expect(maxAge * 1.1).toBeLessThan(spec.timeoutSeconds)
    expect(spec.containerConcurrency).toBe(0)
    // Streams send a heartbeat every 15 s (functions/chat/lib/sse.ts).
    expect(spec.idleTimeoutSeconds).toBeGreaterThan(15)
  })

  it.each(FUNCTIONS.map((fn) => [fn.name, fn] as const))(
    '%s: one http1 port, probes, a restricted container, no service links',
    (_name, fn) => {
      const spec = knativeService(fn).spec.template.spec
      expect(spec.enableServiceLinks).toBe(false)
      expect(spec.containers).toHaveLength(1)
      const [container] = spec.containers
      expect(container.ports).toEqual([{ name: 'http1', containerPort: 8080 }])
      expect(container.readinessProbe.httpGet.path).toBe('/readyz')
      expect(container.livenessProbe.httpGet.path).toBe('/healthz')
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      })
      expect(spec.timeoutSeconds).toBe(fn.profile.timeoutSeconds)
      expect(spec.responseStartTimeoutSeconds).toBe(fn.profile.responseStartTimeoutSeconds)
      expect(spec.idleTimeoutSeconds).toBe(fn.profile.idleTimeoutSeconds)
      expect(spec.containerConcurrency).toBe(fn.profile.containerConcurrency)
    },
  )

  it.each(FUNCTIONS.map((fn) => [fn.name, fn] as const))(
    '%s gets exactly the variables it reads that the cluster keeps, never PORT',
    (_name, fn) => {
      const names = knativeService(fn).spec.template.spec.containers[0].env.map((e) => e.name)
      const reads = Object.keys(functionEnvSchema(fn).entries)
      const kept = new Set([...Object.keys(configData(BASE)), ...Object.keys(SECRET_VARIABLES)])
      expect(names).toEqual(reads.filter((name) => kept.has(name)))
      expect(names).not.toContain('PORT')
    },
  )

  it('gives the signing key to auth alone, the cursor secret only to functions that paginate', () => {
    const holders = (variable: string) =>
      FUNCTIONS.filter((fn) =>
        knativeService(fn).spec.template.spec.containers[0].env.some((e) => e.name === variable),
      ).map((fn) => fn.name)
    expect(holders('AUTH_SIGNING_KEY')).toEqual(['auth'])
    expect(holders('AUTH_CLIENTS')).toEqual(['auth'])
    expect(holders('CURSOR_SECRET')).toEqual(['orgs', 'projects', 'config', 'chat'])
  })

  it('reads every ConfigMap and Secret variable in some function', () => {
    const read = new Set(FUNCTIONS.flatMap((fn) => Object.keys(functionEnvSchema(fn).entries)))
    const unread = [...Object.keys(configData(BASE)), ...Object.keys(SECRET_VARIABLES)].filter(
      (name) => !read.has(name),
    )
    expect(unread).toEqual([])
  })

  it('runs orgs alone with a service account token (it provisions tenant namespaces)', () => {
    const withToken = FUNCTIONS.filter(
      (fn) => knativeService(fn).spec.template.spec.automountServiceAccountToken,
    ).map((fn) => fn.name)
    expect(withToken).toEqual(['orgs'])
  })
})
