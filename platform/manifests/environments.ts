import type { DeploymentProfile } from '#shared/runtime/definition.ts'

/**
 * The environments the functions are deployed to (knative/overlays/<name>) and what each
 * changes from the base that the function definitions alone give. An overlay carries only
 * these differences; `npm run deploy -- <fn> --env <name>` applies the same ones, so a
 * function deployed on its own runs exactly as Argo CD would run it.
 */

export const ENVIRONMENT_NAMES = ['dev', 'staging', 'prod'] as const
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number]

/** What an environment may change in a function's profile. */
export type ProfileChange = Partial<Pick<DeploymentProfile, 'minScale' | 'maxScale' | 'resources'>>

/** What the base (knative/base) runs with, and each environment may change. */
export interface Environment {
  /** The public API host: the HTTPRoutes' hostname and the token issuer's. */
  apiHost: string
  /** Browser origins allowed by CORS (comma-separated, as CORS_ALLOWED_ORIGINS reads it). */
  corsOrigins: string
  logLevel: 'debug' | 'info' | 'warn'
  /** The image of a function (or `migrate`): a tag where Knative resolves it, a digest in prod. */
  image(name: string): string
  /** Per function: what differs from its definition's profile. */
  profiles: Partial<Record<string, ProfileChange>>
}

export const IMAGE_REPOSITORY = 'ghcr.io/tenantry'

/**
 * The digests released to prod, per image. The release workflow writes the digest it
 * pushed and signed here and runs `npm run manifests`; until an image has been released
 * its prod reference is the all-zero digest, which no registry serves, so prod can never
 * run an unreleased build by accident (the revision fails to pull and the old one stays).
 */
export const PROD_DIGESTS: Readonly<Record<string, string>> = {}
const UNRELEASED = `sha256:${'0'.repeat(64)}`

const SMALL: DeploymentProfile['resources'] = {
  requests: { cpu: '50m', memory: '96Mi' },
  limits: { memory: '192Mi' },
}

/**
 * The base: what a function's definition gives, deployed to the production host with
 * images from the main branch. Each environment below states only what differs.
 */
export const BASE: Environment = {
  apiHost: 'api.tenantry.example',
  corsOrigins: 'https://app.tenantry.example',
  logLevel: 'info',
  image: (name) => `${IMAGE_REPOSITORY}/${name}:main`,
  profiles: {},
}

export const ENVIRONMENTS: Readonly<Record<EnvironmentName, Partial<Environment>>> = {
  dev: {
    apiHost: 'api.dev.tenantry.example',
    corsOrigins: 'http://localhost:3000',
    logLevel: 'debug',
    profiles: {
      auth: { maxScale: 2, resources: SMALL },
      orgs: { maxScale: 2, resources: SMALL },
      projects: { maxScale: 2, resources: SMALL },
      config: { maxScale: 1, resources: SMALL },
      chat: { maxScale: 2 },
    },
  },
  staging: {
    apiHost: 'api.staging.tenantry.example',
    corsOrigins: 'https://app.staging.tenantry.example',
    profiles: {
      auth: { maxScale: 5 },
      orgs: { maxScale: 5 },
      projects: { maxScale: 5 },
      chat: { maxScale: 4 },
    },
  },
  prod: {
    image: (name) => `${IMAGE_REPOSITORY}/${name}@${PROD_DIGESTS[name] ?? UNRELEASED}`,
    profiles: {
      // Sign-in is every journey's first request: one warm replica spares it a cold start.
      auth: { minScale: 1 },
      // Two replicas, so a drain (the PodDisruptionBudget allows one at a time) or a
      // node failure leaves chat serving while its streams reconnect.
      chat: {
        minScale: 2,
        resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
      },
    },
  },
}

/** An environment with the base filled in (the base itself without a name). */
export function environment(name: EnvironmentName | undefined): Environment {
  return name ? { ...BASE, ...ENVIRONMENTS[name] } : BASE
}

/** A function's profile in an environment: its definition's, with the environment's changes. */
export function profileIn(
  profile: DeploymentProfile,
  name: string,
  env: Environment,
): DeploymentProfile {
  return { ...profile, ...env.profiles[name] }
}

/** An image reference's parts: `name:tag` or `name@digest` (a registry port is not a tag). */
export function parseImage(ref: string): { name: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@')
  if (at >= 0) return { name: ref.slice(0, at), digest: ref.slice(at + 1) }
  const colon = ref.lastIndexOf(':')
  return colon > ref.lastIndexOf('/')
    ? { name: ref.slice(0, colon), tag: ref.slice(colon + 1) }
    : { name: ref }
}
