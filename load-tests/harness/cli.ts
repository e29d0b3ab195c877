import { parseDuration } from '../lib/duration.ts'
import { isScenarioName, SCENARIO_NAMES, SCENARIOS } from '../lib/scenarios.ts'
import { DEFAULT_BASE_URL, type Env, settingsFrom } from '../lib/settings.ts'
import { maxVus, type Scale, scalePlan, totalMs } from '../lib/stages.ts'
import { MetricStore } from './metric-store.ts'
import { LiveStats, startProgress } from './progress.ts'
import { declareMetrics, runScenario } from './runner.ts'
import { compileThresholds, evaluateThresholds, printSummary, vusText } from './summary.ts'
import { ThresholdError } from './thresholds.ts'

/**
 * `npm run load -- <scenario> [--url …] [--vus …] [--duration …]`: one scenario of
 * lib/scenarios.ts, its stages scaled by --vus / --duration, against --url (default
 * BASE_URL, else http://localhost:8080, where `npm start` listens). Exit codes as k6's:
 * 0 when every threshold held, 99 when one failed, 104 for a bad invocation.
 */

export const EXIT_THRESHOLDS_FAILED = 99
export const EXIT_INVALID = 104

const USAGE = `usage: npm run load -- <scenario> [--url <base URL>] [--vus <n>] [--duration <d>]

scenarios:
${SCENARIO_NAMES.map((name) => `  ${name.padEnd(8)} ${SCENARIOS[name].summary}`).join('\n')}

  --url       the API (default: BASE_URL, else ${DEFAULT_BASE_URL})
  --vus       the peak number of virtual users; every stage's target in proportion
  --duration  the stages' total length (30s, 2m, 1h30m); every stage in proportion

environment: BASE_URL; CLIENT_ID (default dev) and CLIENT_SECRET for \`config\`
(npm start prints its development client's); CONFIG_SERVICE the config it rewrites
(default features). Exit 0 when every threshold held, 99 when one failed.`

export interface Io {
  env: Env
  out: (line: string) => void
  err: NodeJS.WriteStream
}

interface Invocation {
  scenario: string
  url?: string
  /** --vus and --duration. */
  scale: Scale
}

class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): Invocation | 'help' {
  const positional: string[] = []
  const flags: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--help' || arg === '-h') return 'help'
    if (!arg.startsWith('--')) {
      positional.push(arg)
      continue
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined]
    if (!['url', 'vus', 'duration'].includes(name)) throw new UsageError(`unknown option --${name}`)
    const value = inline ?? argv[++i]
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`)
    flags[name] = value
  }
  if (positional.length !== 1) throw new UsageError('name one scenario')
  const invocation: Invocation = { scenario: positional[0] as string, scale: {} }
  if (flags.url !== undefined) {
    if (!/^https?:\/\/[^\s/]+/.test(flags.url)) throw new UsageError('--url must be an http(s) URL')
    invocation.url = flags.url
  }
  if (flags.vus !== undefined) {
    const vus = Number(flags.vus)
    if (!Number.isInteger(vus) || vus < 1) throw new UsageError('--vus must be a whole number ≥ 1')
    invocation.scale.vus = vus
  }
  if (flags.duration !== undefined) {
    let durationMs: number
    try {
      durationMs = parseDuration(flags.duration)
    } catch (error) {
      throw new UsageError(`--duration: ${(error as Error).message}`)
    }
    if (durationMs <= 0) throw new UsageError('--duration must be longer than 0s')
    invocation.scale.durationMs = durationMs
  }
  return invocation
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let invocation: Invocation | 'help'
  try {
    invocation = parseArgs(argv)
  } catch (error) {
    io.err.write(`${(error as Error).message}\n\n${USAGE}\n`)
    return EXIT_INVALID
  }
  if (invocation === 'help') {
    io.out(USAGE)
    return 0
  }
  if (!isScenarioName(invocation.scenario)) {
    io.err.write(`no scenario named '${invocation.scenario}'\n\n${USAGE}\n`)
    return EXIT_INVALID
  }
  const scenario = SCENARIOS[invocation.scenario]
  const settings = settingsFrom({
    ...io.env,
    ...(invocation.url ? { BASE_URL: invocation.url } : {}),
  })
  if (scenario.name === 'config' && !settings.clientSecret) {
    io.err.write(
      'config needs a machine client: set CLIENT_SECRET (and CLIENT_ID, default dev). npm start prints its development client at start: "Machine client for the config routes: id dev, secret …".\n',
    )
    return EXIT_INVALID
  }
  const plan = scalePlan(scenario.plan, invocation.scale)

  const store = new MetricStore()
  declareMetrics(store)
  let compiled: ReturnType<typeof compileThresholds>
  try {
    compiled = compileThresholds(scenario.thresholds, store)
  } catch (error) {
    if (!(error instanceof ThresholdError)) throw error
    io.err.write(`invalid threshold: ${error.message}\n`)
    return EXIT_INVALID
  }

  io.err.write(
    `${scenario.name}: ${vusText(maxVus(plan))} at most for ${plan.stages.map((s) => `${s.duration}→${s.target}`).join(', ')} against ${settings.baseUrl}\n`,
  )
  const live = new LiveStats()
  const unexpected = new Map<string, number>()
  const progress = startProgress(live, {
    label: scenario.name,
    plannedMs: totalMs(plan),
    stream: io.err,
  })
  const run = await runScenario({
    scenario,
    plan,
    settings,
    store,
    observer: {
      answered: (ms, failed) => live.answered(ms, failed),
      unexpected(route, status, code) {
        const key = `${route} → ${status === 0 ? 'no answer' : status}${code ? ` ${code}` : ''}`
        unexpected.set(key, (unexpected.get(key) ?? 0) + 1)
      },
    },
    onTick: (vus) => {
      live.vus = vus
    },
  }).finally(() => progress.stop())

  const thresholds = evaluateThresholds(compiled, store, run.durationMs / 1000)
  printSummary(
    { scenario, plan, baseUrl: settings.baseUrl, run, store, thresholds, unexpected },
    io.out,
  )
  const failed = thresholds.filter((t) => !t.ok)
  if (failed.length > 0) {
    io.err.write(
      `${failed.length} threshold${failed.length === 1 ? '' : 's'} failed: ${failed.map((t) => `${t.selector} ${t.expression}`).join('; ')}\n`,
    )
    return EXIT_THRESHOLDS_FAILED
  }
  return 0
}
