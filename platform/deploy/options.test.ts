import { describe, expect, it } from 'vitest'
import { DEPLOY_ERRORS } from './errors.ts'
import { DEFAULT_TIMEOUT_SECONDS, parseDeployArgs, usage } from './options.ts'

describe('parseDeployArgs', () => {
  it('takes the function and the defaults', () => {
    expect(parseDeployArgs(['auth'])).toEqual({
      function: 'auth',
      dryRun: false,
      timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
    })
    expect(DEFAULT_TIMEOUT_SECONDS).toBe(300)
  })

  it('takes every option', () => {
    expect(
      parseDeployArgs([
        'chat',
        '--env',
        'staging',
        '--image',
        'ghcr.io/tenantry/chat:pr-1',
        '--context',
        'kind-tenantry',
        '--dry-run',
        '--timeout',
        '90',
      ]),
    ).toEqual({
      function: 'chat',
      environment: 'staging',
      image: 'ghcr.io/tenantry/chat:pr-1',
      context: 'kind-tenantry',
      dryRun: true,
      timeoutSeconds: 90,
    })
    expect(parseDeployArgs(['--env=prod', 'orgs'])).toMatchObject({
      function: 'orgs',
      environment: 'prod',
    })
  })

  it('--help and -h win over everything else', () => {
    expect(parseDeployArgs(['--help'])).toBe('help')
    expect(parseDeployArgs(['auth', '-h'])).toBe('help')
  })

  it.each([
    [[], 'which function? usage: npm run deploy -- <function> [options] (see --help)'],
    [['auth', 'orgs'], 'one function at a time, got 2: auth orgs'],
    [['auth', '--env', 'qa'], 'unknown environment "qa"; known: dev, staging, prod'],
    [['auth', '--timeout', '0'], '--timeout wants seconds > 0, got "0"'],
    [['auth', '--timeout', 'soon'], '--timeout wants seconds > 0, got "soon"'],
    [['auth', '--image', ''], '--image wants an image reference'],
    [['auth', '--env'], "Option '--env <value>' argument missing (see --help)"],
    [['auth', '--force'], 'unknown option --force (see --help)'],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseDeployArgs(argv)).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE', message, exit: 2 }),
    )
  })
})

describe('usage', () => {
  it('lists each exit status of the error table once, in order', () => {
    const lines = usage().split('\n')
    const exits = lines
      .slice(lines.indexOf('Exit codes:') + 1)
      .map((line) => Number(line.trim().split(' ')[0]))
    const expected = [0, ...new Set(Object.values(DEPLOY_ERRORS).map((e) => e.exit))].sort(
      (a, b) => a - b,
    )
    expect(exits).toEqual(expected)
    for (const { title } of Object.values(DEPLOY_ERRORS)) expect(usage()).toContain(title)
  })
})
