import type { Client } from './client.ts'
import { createPacer, type Pacer } from './pacer.ts'
import type { Settings } from './settings.ts'

/**
 * What a virtual user keeps between its iterations: k6 gives each VU its own copy of the
 * script's module state, the harness one of these per VU.
 */

export interface GuestSession {
  userId: string
  accessToken: string
  refreshToken: string
  /** client.now() after which the access token is renewed before the next request. */
  renewAt: number
}

export interface MachineSession {
  accessToken: string
  renewAt: number
}

export interface VuState {
  pacer: Pacer
  guest: GuestSession | undefined
  machine: MachineSession | undefined
  /** The chat scenario's org and project, made once per VU. */
  chatHome: { orgId: string; projectId: string } | undefined
  /** False once `/readyz` answered 404 (not routed, e.g. behind the cluster gateway). */
  readyzShowsConfigs: boolean
}

export interface JourneyContext {
  client: Client
  settings: Settings
}

export type Journey = (ctx: JourneyContext, vu: VuState) => Promise<void>

/** `sharers`: VUs that share this VU's rate-limit subject (1 for a guest of its own). */
export function newVuState(sharers = 1): VuState {
  return {
    pacer: createPacer(sharers),
    guest: undefined,
    machine: undefined,
    chatHome: undefined,
    readyzShowsConfigs: true,
  }
}
