import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { functionNamed } from '#platform/functions.ts'
import { knativeService } from '#platform/manifests/knative-service.ts'
import { fakeKube } from '#test/harness/fake-kube.ts'
import { usage } from './options.ts'

/**
 * scripts/deploy.ts as `npm run deploy` runs it: its own process, the kubeconfig found
 * through the environment, real time, real exit statuses; stderr must hold exactly the
 * one error line (no stack trace).
 */

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tenantry-deploy-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

interface Result {
  code: number | null
  stdout: string
  stderr: string
}

function cli(args: string[], env: Record<string, string>): Promise<Result> {
  const child = spawn(process.execPath, ['scripts/deploy.ts', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

const shown = (r: Result) => `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`

// Each case is its own process (about a second to start): run them side by side.
describe.concurrent('npm run deploy', () => {
  it('--help prints the usage with every exit code', async () => {
    const r = await cli(['--help'], {})
    expect(r.code, shown(r)).toBe(0)
    expect(r.stdout).toBe(`${usage()}\n`)
    for (const code of [0, 1, 2, 3, 4, 5, 6, 7, 8])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${code}  `))
  })

  it('a bad option is a usage error (2)', async () => {
    const r = await cli(['auth', '--namespace', 'x'], {})
    expect(r.code, shown(r)).toBe(2)
    expect(r.stderr).toBe('deploy: unknown option --namespace (see --help)\n')
  })

  it('--dry-run prints YAML that parses to the generated manifest', async () => {
    const r = await cli(['projects', '--dry-run', '--env', 'dev'], { KUBECONFIG: '/nonexistent' })
    expect(r.code, shown(r)).toBe(0)
    const projects = functionNamed('projects')
    if (!projects) throw new Error('projects is not in FUNCTIONS')
    expect(parse(r.stdout)).toEqual(knativeService(projects, { environment: 'dev' }))
  })

  it('no kubeconfig at $KUBECONFIG (3)', async () => {
    const r = await cli(['auth'], { KUBECONFIG: join(dir, 'missing.yaml') })
    expect(r.code, shown(r)).toBe(3)
    expect(r.stderr).toBe(
      `deploy: no kubeconfig: ${join(dir, 'missing.yaml')} (from KUBECONFIG) does not exist\n`,
    )
  })

  it('no $KUBECONFIG and no ~/.kube/config (3)', async () => {
    const r = await cli(['auth'], {})
    expect(r.code, shown(r)).toBe(3)
    expect(r.stderr).toBe(
      `deploy: no kubeconfig: KUBECONFIG is not set and ${join(dir, '.kube', 'config')} does not exist\n`,
    )
  })

  it('a kubeconfig that is not one (3)', async () => {
    const file = join(dir, 'broken.yaml')
    await writeFile(file, 'clusters: [\n')
    const r = await cli(['auth'], { KUBECONFIG: file })
    expect(r.code, shown(r)).toBe(3)
    expect(r.stderr).toMatch(new RegExp(`^deploy: cannot read kubeconfig ${file}: [^\\n]+\\n$`))
  })

  it('deploys against the fake API server, in real time, and exits 0', async () => {
    const fake = await fakeKube()
    try {
      const file = join(dir, 'fake.yaml')
      await writeFile(file, fake.kubeconfigYaml())
      const r = await cli(['orgs', '--env', 'dev', '--context', 'other'], { KUBECONFIG: file })
      expect(r.code, shown(r)).toBe(0)
      expect(r.stderr).toBe('')
      const lines = r.stdout.trimEnd().split('\n')
      expect(lines[0]).toBe(`deploying orgs to ${fake.url} (context other)`)
      expect(lines.at(-1)).toMatch(
        /^ +\d+\.\ds Ready at http:\/\/orgs\.tenantry\.svc\.cluster\.local \(revision orgs-00001\)$/,
      )
      const orgs = functionNamed('orgs')
      if (!orgs) throw new Error('orgs is not in FUNCTIONS')
      expect(fake.applies().map((a) => a.body)).toEqual([
        knativeService(orgs, { environment: 'dev' }),
      ])
    } finally {
      await fake.close()
    }
  })

  it('Knative missing: one line on stderr, exit 5', async () => {
    const fake = await fakeKube({ knative: false })
    try {
      const file = join(dir, 'no-knative.yaml')
      await writeFile(file, fake.kubeconfigYaml())
      const r = await cli(['auth'], { KUBECONFIG: file })
      expect(r.code, shown(r)).toBe(5)
      expect(r.stderr).toBe(
        `deploy: serving.knative.dev/v1 services is not served by ${fake.url}: install Knative Serving\n`,
      )
    } finally {
      await fake.close()
    }
  })
})
