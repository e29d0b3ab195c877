import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { FUNCTIONS } from '#platform/functions.ts'
import { functionEnvSchema } from '#shared/runtime/process.ts'
import { functionSecrets, migrationSecret } from './config.ts'
import { ENVIRONMENT_NAMES, environment } from './environments.ts'
import { knativeService } from './knative-service.ts'
import { configData, REMOTE_VALUES, type RemoteValue } from './variables.ts'

/**
 * The environment a deployed function gets — its ConfigMap keys and the Secret that
 * External Secrets renders from the store — passes the function's own validation, with
 * store values holding every character a password may: so a cluster cannot fail a
 * function's boot on a variable the generator wrote.
 */

// Every property the store holds, the passwords with characters a URL's user info must
// escape. Not a space: QueryEscape writes it as `+`, which user info reads as itself
// (postgres.js decodes the password with decodeURIComponent), so the docs generate
// passwords with `openssl rand -hex`.
const STORE: Record<RemoteValue, string> = {
  appPassword: 'app-p@ss:w/rd?#%+',
  ownerPassword: 'owner-p@ss:w/rd?#%+',
  valkeyPassword: 'valkey-p@ss:w/rd?#',
  cursorSecret: 'c'.repeat(48),
  signingKey: '{"kty":"OKP","crv":"Ed25519","x":"x","d":"d"}',
  signingKid: 'key-2026-12',
  verificationKeys: '{"keys":[]}',
  clients: '{}',
}

/** Go's url.QueryEscape, as External Secrets' `urlquery` applies it. */
function queryEscape(text: string): string {
  return [...new TextEncoder().encode(text)]
    .map((byte) => {
      const char = String.fromCharCode(byte)
      if (/[A-Za-z0-9\-_.~]/.test(char)) return char
      return char === ' ' ? '+' : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
    })
    .join('')
}

/** The Secret External Secrets writes from an ExternalSecret's templates. */
function rendered(externalSecret: ReturnType<typeof functionSecrets>): Record<string, string> {
  const read = new Set(externalSecret.spec.data.map((entry) => entry.secretKey))
  return Object.fromEntries(
    Object.entries(externalSecret.spec.target.template.data).map(([key, template]) => [
      key,
      template.replace(/\{\{ \.(\w+)( \| urlquery)? \}\}/g, (_all, name: RemoteValue, urlquery) => {
        expect(
          read.has(name),
          `${key} reads ${name}, which the ExternalSecret does not fetch`,
        ).toBe(true)
        return urlquery ? queryEscape(STORE[name]) : STORE[name]
      }),
    ]),
  )
}

describe('a deployed function’s environment', () => {
  it.each(ENVIRONMENT_NAMES.flatMap((env) => FUNCTIONS.map((fn) => [env, fn.name, fn] as const)))(
    '%s: %s accepts what its container is given',
    (envName, _name, fn) => {
      const config = configData(environment(envName))
      const secret = rendered(functionSecrets())
      const container = knativeService(fn, { environment: envName }).spec.template.spec
        .containers[0]
      const env = Object.fromEntries(
        container.env.map((entry) => {
          const from = 'configMapKeyRef' in entry.valueFrom ? config : secret
          const key =
            'configMapKeyRef' in entry.valueFrom
              ? entry.valueFrom.configMapKeyRef.key
              : entry.valueFrom.secretKeyRef.key
          expect(from[key], `${entry.name}: ${key} is not in its ConfigMap or Secret`).toBeDefined()
          return [entry.name, from[key]]
        }),
      )
      const result = v.safeParse(functionEnvSchema(fn), { ...env, PORT: '8080' })
      expect(
        result.issues?.map((issue) => `${issue.path?.[0]?.key}: ${issue.message}`) ?? [],
      ).toEqual([])
    },
  )

  it('logs the functions in as the app role through the pooler, the Job as the owner directly', () => {
    const app = new URL(rendered(functionSecrets()).DATABASE_URL ?? '')
    expect([app.username, decodeURIComponent(app.password), app.host]).toEqual([
      'tenantry_app',
      STORE.appPassword,
      'tenantry-db-pooler.tenantry-data.svc.cluster.local:5432',
    ])
    const owner = new URL(rendered(migrationSecret()).DATABASE_URL ?? '')
    expect([owner.username, owner.host, owner.pathname]).toEqual([
      'tenantry_owner',
      'tenantry-db-rw.tenantry-data.svc.cluster.local:5432',
      '/tenantry',
    ])
    expect(migrationSecret().spec.data.map((entry) => entry.remoteRef)).toEqual([
      REMOTE_VALUES.ownerPassword,
    ])
  })
})
