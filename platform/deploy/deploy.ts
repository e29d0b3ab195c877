import { ApiException, type KubeConfig } from '@kubernetes/client-node'
import { stringify } from 'yaml'
import { FUNCTIONS, functionNamed } from '#platform/functions.ts'
import { knativeService } from '#platform/manifests/knative-service.ts'
import { apiError, networkFailure } from './api-errors.ts'
import { type Clock, systemClock } from './clock.ts'
import { DeployError } from './errors.ts'
import { knativeApi, SERVING_API_VERSION, type ServiceObject } from './knative-api.ts'
import { loadKubeConfig, useContext } from './kubeconfig.ts'
import type { DeployOptions } from './options.ts'
import { conditionText, elapsed, FAIL_AFTER_MS, rolloutTracker } from './progress.ts'

export interface DeployDeps {
  /** Reads the kubeconfig; the default reads it as kubectl does. Not called for --dry-run. */
  kubeConfig?: () => KubeConfig
  /** One line of progress (or the --dry-run manifest), without its newline. */
  out: (line: string) => void
  /** One line of error, without its newline. */
  err: (line: string) => void
  clock?: Clock
  /** How often the Service is read while waiting. */
  pollMs?: number
  /** How long a False condition must hold to count as failed (progress.ts says why). */
  failAfterMs?: number
}

export const POLL_MS = 500

/**
 * `npm run deploy`: renders one function's Knative Service with the generator that writes
 * knative/, server-side applies it and waits for Ready. Returns the exit status; every
 * failure is one line on `err`, never a stack trace.
 */
export async function deploy(options: DeployOptions, deps: DeployDeps): Promise<number> {
  try {
    await run(options, deps)
    return 0
  } catch (error) {
    const failure =
      error instanceof DeployError
        ? error
        : new DeployError('ERR_UNEXPECTED', error instanceof Error ? error.message : String(error))
    deps.err(`deploy: ${failure.message}`)
    return failure.exit
  }
}

async function run(options: DeployOptions, deps: DeployDeps): Promise<void> {
  const fn = functionNamed(options.function)
  if (!fn) {
    throw new DeployError(
      'ERR_USAGE',
      `unknown function "${options.function}"; known: ${FUNCTIONS.map((f) => f.name).join(', ')}`,
    )
  }
  const manifest = knativeService(fn, {
    ...(options.environment === undefined ? {} : { environment: options.environment }),
    ...(options.image === undefined ? {} : { image: options.image }),
  })
  if (options.dryRun) {
    deps.out(stringify(manifest).trimEnd())
    return
  }

  const kc = (deps.kubeConfig ?? loadKubeConfig)()
  useContext(kc, options.context)
  const server = kc.getCurrentCluster()?.server ?? '(no server)'
  const api = knativeApi(kc)
  const clock = deps.clock ?? systemClock
  const start = clock.now()
  const at = () => elapsed(clock.now() - start)
  const { namespace, name } = manifest.metadata
  const target = `${namespace}/${name}`
  deps.out(`deploying ${name} to ${server} (context ${kc.getCurrentContext()})`)

  let plural: string | undefined
  try {
    plural = await api.servicesResource()
  } catch (error) {
    // 404 on the group-version's discovery document: no CRD defines it.
    if (!(error instanceof ApiException && error.code === 404)) {
      throw apiError(error, `looking up ${SERVING_API_VERSION}`, server)
    }
  }
  if (plural !== 'services') {
    throw new DeployError(
      'ERR_KNATIVE_MISSING',
      `${SERVING_API_VERSION} services is not served by ${server}: install Knative Serving`,
    )
  }

  let applied: ServiceObject
  try {
    applied = await api.apply(manifest)
  } catch (error) {
    throw apiError(error, `applying Service ${target}`, server)
  }
  // Every write to a Service's spec bumps its generation; an unchanged apply leaves it.
  const generation = applied.metadata.generation ?? 1
  const image = manifest.spec.template.spec.containers[0].image
  deps.out(`${at()} applied Service ${target} (generation ${generation}, image ${image})`)

  await waitForReady(
    { target, namespace, name, generation, timeoutSeconds: options.timeoutSeconds, server },
    { api, clock, start, at, deps },
  )
}

interface Rollout {
  target: string
  namespace: string
  name: string
  generation: number
  timeoutSeconds: number
  server: string
}

async function waitForReady(
  rollout: Rollout,
  ctx: {
    api: ReturnType<typeof knativeApi>
    clock: Clock
    start: number
    at: () => string
    deps: DeployDeps
  },
): Promise<void> {
  const { api, clock, start, at, deps } = ctx
  const deadline = start + rollout.timeoutSeconds * 1000
  const pollMs = deps.pollMs ?? POLL_MS
  const tracker = rolloutTracker(rollout.generation, deps.failAfterMs ?? FAIL_AFTER_MS)
  let waitingFor = `${rollout.target} to be read`
  let lastHiccup: string | undefined
  for (;;) {
    const service = await readTolerantly(rollout, api, (hiccup) => {
      // A dropped connection or a 5xx while waiting is retried, and said once.
      if (hiccup !== lastHiccup)
        deps.out(`${at()} reading ${rollout.target} failed (${hiccup}); retrying`)
      lastHiccup = hiccup
    })
    if (service) {
      lastHiccup = undefined
      const { lines, outcome } = tracker.update(service, clock.now() - start)
      for (const line of lines) deps.out(line)
      if (outcome.kind === 'ready') {
        const url = outcome.url ?? '(the Service reports no URL)'
        deps.out(
          `${at()} Ready at ${url}${outcome.revision ? ` (revision ${outcome.revision})` : ''}`,
        )
        return
      }
      if (outcome.kind === 'failed') {
        const revision = outcome.revision ? `revision ${outcome.revision}` : 'the revision'
        throw new DeployError(
          'ERR_REVISION_FAILED',
          `${rollout.target}: ${revision} failed: ${conditionText(outcome.condition)}`,
        )
      }
      waitingFor = outcome.waitingFor
    }
    const left = deadline - clock.now()
    if (left <= 0) {
      throw new DeployError(
        'ERR_TIMEOUT',
        `${rollout.target}: timed out after ${rollout.timeoutSeconds} s waiting for ${waitingFor}`,
      )
    }
    await clock.sleep(Math.min(pollMs, left))
  }
}

/** The Service, or undefined after a failure worth retrying (reported through `hiccup`). */
async function readTolerantly(
  rollout: Rollout,
  api: ReturnType<typeof knativeApi>,
  hiccup: (what: string) => void,
): Promise<ServiceObject | undefined> {
  try {
    return await api.read(rollout.namespace, rollout.name)
  } catch (error) {
    const network = networkFailure(error)
    if (network) return void hiccup(network)
    if (error instanceof ApiException && (error.code >= 500 || error.code === 429)) {
      return void hiccup(`HTTP ${error.code}`)
    }
    if (error instanceof ApiException && error.code === 404) {
      throw new DeployError('ERR_UNEXPECTED', `${rollout.target} was deleted while waiting for it`)
    }
    throw apiError(error, `reading ${rollout.target}`, rollout.server)
  }
}
