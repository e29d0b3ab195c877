import { parseArgs } from 'node:util'

/**
 * Benchmark options: `--name value` on the command line (after `npm run bench:x --`), or
 * the environment variable BENCH_<NAME>, or the default. `--help` prints them. An on/off
 * option given alone (`--chaos`, last or followed by another option) means on.
 */

export interface OptionSpec {
  default: number | boolean | string
  help: string
  /** Smallest accepted value of a number option (default 0). */
  min?: number
}

type Values<S extends Record<string, OptionSpec>> = {
  [K in keyof S]: S[K]['default'] extends number
    ? number
    : S[K]['default'] extends boolean
      ? boolean
      : string
}

export function readOptions<S extends Record<string, OptionSpec>>(
  usage: string,
  spec: S,
  argv: string[] = process.argv.slice(2),
): Values<S> {
  try {
    return parse(usage, spec, argv)
  } catch (error) {
    process.stderr.write(
      `${error instanceof Error ? error.message : error}\nusage: ${usage} (--help lists the options)\n`,
    )
    process.exit(2)
  }
}

function parse<S extends Record<string, OptionSpec>>(
  usage: string,
  spec: S,
  argv: string[],
): Values<S> {
  const switches = Object.entries(spec)
    .filter(([, option]) => typeof option.default === 'boolean')
    .map(([name]) => `--${name}`)
  const args = argv.map((arg, i) =>
    switches.includes(arg) && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('--'))
      ? `${arg}=on`
      : arg,
  )
  const { values } = parseArgs({
    args,
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(Object.keys(spec).map((name) => [name, { type: 'string' as const }])),
    },
    strict: true,
    allowPositionals: false,
  })
  if (values.help) {
    const lines = Object.entries(spec).map(
      ([name, option]) =>
        `  --${name.padEnd(14)} ${option.help} (default ${show(option.default)}; env ${envName(name)})`,
    )
    process.stdout.write(`${usage}\n\noptions:\n${lines.join('\n')}\n`)
    process.exit(0)
  }
  const out: Record<string, number | boolean | string> = {}
  for (const [name, option] of Object.entries(spec)) {
    const raw = (values as Record<string, unknown>)[name] ?? process.env[envName(name)]
    out[name] =
      raw === undefined || raw === '' ? option.default : convert(name, String(raw), option)
  }
  return out as Values<S>
}

function convert(name: string, raw: string, option: OptionSpec): number | boolean | string {
  if (typeof option.default === 'number') {
    const value = Number(raw)
    if (!Number.isFinite(value) || value < (option.min ?? 0)) {
      throw new Error(`--${name}: expected a number ≥ ${option.min ?? 0}, got ${raw}`)
    }
    return value
  }
  if (typeof option.default === 'boolean') {
    if (/^(1|true|on|yes)$/i.test(raw)) return true
    if (/^(0|false|off|no)$/i.test(raw)) return false
    throw new Error(`--${name}: expected on or off, got ${raw}`)
  }
  return raw
}

function envName(name: string): string {
  // pace-ms and paceMs both become BENCH_PACE_MS: a shell cannot set a name with a dash.
  return `BENCH_${name
    .replace(/[A-Z]/g, (c) => `_${c}`)
    .replaceAll('-', '_')
    .toUpperCase()}`
}

function show(value: number | boolean | string): string {
  return typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value)
}
