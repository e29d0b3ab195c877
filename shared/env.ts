import * as v from 'valibot'
import { safeIssueMessage } from './validation.ts'

/**
 * The environment, validated once at boot with one valibot object schema. A bad
 * environment prints one line per offending variable (`NAME: what it must be`) and exits
 * non-zero. Values are never printed: they may hold passwords or keys.
 *
 * Give every entry a message that says what the variable must be, for example
 * `v.pipe(v.string('required, a postgres:// URL'), …)`; entries without one get a
 * generic `required` / `invalid` line that still names the variable.
 */

export type EnvSchema = v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>

export interface LoadEnvOptions {
  /** Called with 1 when the environment is invalid; process.exit by default. */
  exit?: (code: number) => never
  /** Where the lines go; stderr by default. */
  write?: (text: string) => void
}

export function loadEnv<S extends EnvSchema>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  options: LoadEnvOptions = {},
): v.InferOutput<S> {
  // Only the declared variables, each present (possibly undefined) so that its own
  // schema reports it; an empty value counts as unset, so optional defaults apply.
  const input: Record<string, string | undefined> = {}
  for (const name of Object.keys(schema.entries)) {
    const value = env[name]
    input[name] = value === '' ? undefined : value
  }
  const result = v.safeParse(schema, input, { message: safeIssueMessage })
  if (result.success) return result.output

  const lines = new Map<string, string>()
  for (const issue of result.issues) {
    const name = String(issue.path?.[0]?.key ?? 'environment')
    if (!lines.has(name)) lines.set(name, `${name}: ${safeMessage(issue)}`)
  }
  const write = options.write ?? ((text: string) => process.stderr.write(text))
  write(`${[...lines.values()].join('\n')}\n`)
  const exit = options.exit ?? ((code: number): never => process.exit(code))
  return exit(1)
}

/** The issue's message, unless it quotes the value (valibot's defaults do). */
function safeMessage(issue: v.BaseIssue<unknown>): string {
  const value = issue.input
  if (typeof value === 'string' && value.length > 0 && issue.message.includes(value)) {
    return safeIssueMessage(issue)
  }
  return issue.message
}
