import type { WebSocketServerLike } from '@hono/node-server'
import type { Hono } from 'hono'
import type * as v from 'valibot'
import type { KeySet } from '#shared/auth/keys.ts'
import type { ConfigService } from '#shared/config/schemas.ts'
import type { AppEnv } from '#shared/http/app-env.ts'
import type { Route } from '#shared/http/route.ts'
import type { FunctionDeps, FunctionEnv } from './process.ts'

/**
 * A function's whole definition (its `function.ts`): everything the
 * platform derives from — its process (`startFunction`), its place in `npm start`, the
 * gateway table, the OpenAPI document, its bundle and its deployment manifests.
 */

/**
 * A public path the function owns on the API host, in Gateway API's HTTPRoute terms.
 * Exact and PathPrefix (on whole segments) are what every Gateway API implementation
 * supports; RegularExpression (RE2 syntax, matching the whole path) is used only where
 * the owner is told apart by a segment after a path parameter
 * (`/v1/orgs/{orgId}/projects`), which no prefix can express.
 */
export type PathMatch =
  | { type: 'Exact'; value: string }
  | { type: 'PathPrefix'; value: string }
  | { type: 'RegularExpression'; value: string }

/** How the function runs on Knative: what its Service's revision template says. */
export interface DeploymentProfile {
  /** `autoscaling.knative.dev/min-scale`: 0 scales to zero; long-lived connections need ≥ 1. */
  minScale: number
  /** `autoscaling.knative.dev/max-scale`. */
  maxScale: number
  /** Requests in flight per replica the autoscaler aims at (`autoscaling.knative.dev/target`). */
  target: number
  /** The hard limit of requests in flight per replica (`containerConcurrency`; 0 = none). */
  containerConcurrency: number
  /** A request's whole time budget (`timeoutSeconds`). */
  timeoutSeconds: number
  /** Until the first byte of the response (`responseStartTimeoutSeconds`). */
  responseStartTimeoutSeconds: number
  /** The longest gap between bytes of a response (`idleTimeoutSeconds`). */
  idleTimeoutSeconds: number
  resources: {
    requests: { cpu: string; memory: string }
    limits: { memory: string }
  }
}

/**
 * What a request-serving function that scales to zero runs with: Knative's default of
 * 100 requests in flight per replica, the autoscaler aiming at 80, a 30 s budget per
 * request (10 s to the first byte), and a small pod. A function states what differs.
 */
export const SCALE_TO_ZERO: DeploymentProfile = {
  minScale: 0,
  maxScale: 20,
  target: 80,
  containerConcurrency: 100,
  timeoutSeconds: 30,
  responseStartTimeoutSeconds: 10,
  idleTimeoutSeconds: 30,
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
}

export interface FunctionDefinition<
  S extends ConfigService = ConfigService,
  E extends v.ObjectEntries = v.ObjectEntries,
  D = unknown,
> {
  name: string
  /** One line, for the docs and the manifests. */
  description: string
  /** The configs this function reads; all must load before it reports ready. */
  services: readonly S[]
  /**
   * The function's own environment entries, validated in the same pass as the common
   * ones (process.ts), so a bad environment is reported in one go, one line per variable.
   */
  env?: E
  /**
   * For the function that holds the signing keys (auth): loads them from the validated
   * environment. The verifier then trusts exactly this key set and AUTH_JWKS_URL is not
   * read. A thrown Error's message is printed as the boot failure, so it must name the
   * variable and never the key.
   */
  keys?: (env: FunctionEnv<E>) => Promise<KeySet>
  /** False for a function without paginated lists: CURSOR_SECRET is then not read. */
  cursors?: boolean
  /** Every route, in its app's order: mounted by `build`, and documented. */
  routes: readonly Route<D>[]
  /** The public paths it owns on the API host (the gateway table). */
  paths: readonly PathMatch[]
  profile: DeploymentProfile
  /**
   * The function's own dependencies from the process's. May be async, to import what
   * only some environments need (orgs' Kubernetes client).
   */
  prepare(base: FunctionDeps<S, E>): D | Promise<D>
  /** The app: opens no sockets, reads no environment. */
  build(deps: D): Hono<AppEnv>
  /**
   * Work the function runs beside serving once it is ready (orgs: saga recovery). The
   * returned function stops it at shutdown, before the pools close.
   */
  background?(deps: D): () => Promise<void>
  /**
   * For a function with long-lived connections (chat): the WebSocket server its upgrade
   * routes hand connections to, and how they end when the process drains (the chat
   * closes its streams with 1012, "reconnect and resume"), which would otherwise hold
   * the drain open until its deadline.
   */
  connections?(deps: D): LongLivedConnections
}

export interface LongLivedConnections {
  websocket?: WebSocketServerLike
  /** At shutdown, once no new connection can arrive: ends every open one. */
  drain(): Promise<void>
}

/** Checks a definition's types where it is written; returns it unchanged. */
export function defineFunction<S extends ConfigService, E extends v.ObjectEntries, D>(
  definition: FunctionDefinition<S, E, D>,
): FunctionDefinition<S, E, D> {
  return definition
}

/** Any function's definition, as the platform's list holds them. */
// biome-ignore lint/suspicious/noExplicitAny: the list holds functions of different types
export type AnyFunction = FunctionDefinition<any, any, any>
