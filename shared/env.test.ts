import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { loadEnv } from './env.ts'

const schema = v.object({
  DATABASE_URL: v.pipe(
    v.string('required, a postgres:// URL'),
    v.regex(/^postgres:\/\//, 'must be a postgres:// URL'),
  ),
  PORT: v.optional(
    v.pipe(v.string(), v.transform(Number), v.integer('must be an integer')),
    '8080',
  ),
})

function run(env: Record<string, string | undefined>) {
  const lines: string[] = []
  let exitCode: number | undefined
  const exit = (code: number): never => {
    exitCode = code
    throw new Error('exited')
  }
  let output: unknown
  try {
    output = loadEnv(schema, env, { exit, write: (text) => lines.push(text) })
  } catch (error) {
    if ((error as Error).message !== 'exited') throw error
  }
  return { output, exitCode, text: lines.join('') }
}

describe('loadEnv', () => {
  it('returns the typed values and applies defaults (an empty value counts as unset)', () => {
    const { output, exitCode } = run({ DATABASE_URL: 'postgres://db/x', PORT: '' })
    expect(exitCode).toBeUndefined()
    expect(output).toEqual({ DATABASE_URL: 'postgres://db/x', PORT: 8080 })
  })

  it('exits 1 with one line per bad variable, naming it', () => {
    const { exitCode, text } = run({ PORT: 'eighty' })
    expect(exitCode).toBe(1)
    expect(text.trim().split('\n')).toEqual([
      'DATABASE_URL: required, a postgres:// URL',
      'PORT: must be an integer',
    ])
  })

  it('never prints a value, even a wrong one', () => {
    const secret = 'mysql://root:hunter2@db/x'
    const { exitCode, text } = run({ DATABASE_URL: secret })
    expect(exitCode).toBe(1)
    expect(text).toContain('DATABASE_URL: must be a postgres:// URL')
    expect(text).not.toContain('hunter2')
  })

  it('ignores variables the schema does not declare', () => {
    const { output } = run({ DATABASE_URL: 'postgres://db/x', SECRET_KEY: 'k' })
    expect(output).not.toHaveProperty('SECRET_KEY')
  })
})
