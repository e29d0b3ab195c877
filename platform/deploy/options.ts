import { parseArgs } from 'node:util'
import { ENVIRONMENT_NAMES, type EnvironmentName } from '#platform/manifests/environments.ts'
import { DEPLOY_ERRORS, DeployError } from './errors.ts'

/** What `npm run deploy` was asked to do, parsed and checked. */
export interface DeployOptions {
  /** The function's name; checked against FUNCTIONS by deploy(), which lists the known ones. */
  function: string
  /** Which overlay's differences to apply; none means the base, as knative/base has it. */
  environment?: EnvironmentName
  /** Overrides the environment's image reference. */
  image?: string
  /** A kubeconfig context other than the current one. */
  context?: string
  /** Print the manifest instead of applying it. */
  dryRun: boolean
  /** How long to wait for Ready. */
  timeoutSeconds: number
}

export const DEFAULT_TIMEOUT_SECONDS = 300

/** The `--help` text; the exit codes come from the error table. */
export function usage(): string {
  const exits = new Map<number, string[]>([[0, ['Ready (or --dry-run printed the manifest)']]])
  for (const { exit, title } of Object.values(DEPLOY_ERRORS)) {
    exits.set(exit, [...(exits.get(exit) ?? []), title])
  }
  const exitLines = [...exits.entries()]
    .sort(([a], [b]) => a - b)
    .map(([exit, titles]) => `  ${exit}  ${titles.join('; ')}`)
  return [
    'usage: npm run deploy -- <function> [--env dev|staging|prod] [--image <ref>]',
    '                         [--context <name>] [--dry-run] [--timeout <seconds>]',
    '',
    "Server-side applies one function's Knative Service (the manifest `npm run manifests`",
    'generates) to the namespace tenantry, then waits until it is Ready and prints its URL.',
    '',
    `  --env <name>       apply the differences of knative/overlays/<name> (${ENVIRONMENT_NAMES.join(', ')});`,
    '                     without it, the base',
    "  --image <ref>      run this image instead of the environment's",
    '  --context <name>   use this kubeconfig context instead of the current one',
    '  --dry-run          print the manifest as YAML; touches no cluster',
    `  --timeout <s>      how long to wait for Ready (default ${DEFAULT_TIMEOUT_SECONDS})`,
    '  -h, --help         this text',
    '',
    'The kubeconfig is read as kubectl reads it: $KUBECONFIG, else ~/.kube/config.',
    '',
    'Exit codes:',
    ...exitLines,
  ].join('\n')
}

/** `argv` (after the script name) as options, `'help'`, or a DeployError(ERR_USAGE). */
export function parseDeployArgs(argv: readonly string[]): DeployOptions | 'help' {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    // parseArgs says what was wrong in a sentence; for an unknown option it goes on to
    // explain positionals after `--`, which is not this CLI's problem.
    const message = (error as Error).message
    const unknown = /^Unknown option '([^']+)'/.exec(message)
    throw new DeployError(
      'ERR_USAGE',
      `${unknown ? `unknown option ${unknown[1]}` : message} (see --help)`,
    )
  }
  const { values, positionals } = parsed
  if (values.help) return 'help'
  if (positionals.length !== 1) {
    throw new DeployError(
      'ERR_USAGE',
      positionals.length === 0
        ? 'which function? usage: npm run deploy -- <function> [options] (see --help)'
        : `one function at a time, got ${positionals.length}: ${positionals.join(' ')}`,
    )
  }
  const environment = values.env
  if (environment !== undefined && !isEnvironment(environment)) {
    throw new DeployError(
      'ERR_USAGE',
      `unknown environment "${environment}"; known: ${ENVIRONMENT_NAMES.join(', ')}`,
    )
  }
  const timeoutSeconds =
    values.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(values.timeout)
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new DeployError('ERR_USAGE', `--timeout wants seconds > 0, got "${values.timeout}"`)
  }
  if (values.image === '') throw new DeployError('ERR_USAGE', '--image wants an image reference')
  return {
    function: positionals[0] as string,
    ...(environment === undefined ? {} : { environment }),
    ...(values.image === undefined ? {} : { image: values.image }),
    ...(values.context === undefined ? {} : { context: values.context }),
    dryRun: values['dry-run'] ?? false,
    timeoutSeconds,
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      env: { type: 'string' },
      image: { type: 'string' },
      context: { type: 'string' },
      'dry-run': { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

function isEnvironment(name: string): name is EnvironmentName {
  return (ENVIRONMENT_NAMES as readonly string[]).includes(name)
}
