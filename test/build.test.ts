import { spawn } from 'node:child_process'
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { isBuiltin } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { crc32 } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '#test/harness/database.ts'

/**
 * `npm run build`, then the migration Job exactly as the cluster starts it:
 * `node index.mjs` from a folder with no node_modules anywhere above it.
 */

const root = fileURLToPath(new URL('..', import.meta.url))
const MIGRATIONS = join(root, 'shared/db/migrations')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(args: string[], env: NodeJS.ProcessEnv, cwd = root): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** This process's environment without the variables the job reads. */
function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra }
  for (const name of ['DATABASE_URL', 'LOG_LEVEL', 'NODE_OPTIONS']) {
    if (!(name in extra)) delete env[name]
  }
  return env
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

let build: Run
let job: string
let jobDir: string

beforeAll(async () => {
  build = await run(['scripts/build.ts'], baseEnv())
  // The container has the bundle and its SQL files, and no node_modules.
  jobDir = await mkdtemp(join(tmpdir(), 'tenantry-job-'))
  if (build.code === 0) await cp(join(root, 'dist/migrate'), jobDir, { recursive: true })
  job = join(jobDir, 'index.mjs')
}, 120_000)

afterAll(async () => {
  await rm(jobDir, { recursive: true, force: true })
})

describe('npm run build', () => {
  it('bundles the migration job with its SQL files and prints its size', async () => {
    expect(build.code, build.stderr).toBe(0)
    expect(build.stdout).toMatch(/^dist\/migrate\/index\.mjs\s+\d+(\.\d+)? KiB/m)
    const sources = (await readdir(MIGRATIONS)).filter((f) => f.endsWith('.sql')).sort()
    const copied = (await readdir(join(root, 'dist/migrate/migrations'))).sort()
    expect(copied).toEqual(sources)
    for (const file of sources) {
      expect(await readFile(join(root, 'dist/migrate/migrations', file), 'utf8')).toBe(
        await readFile(join(MIGRATIONS, file), 'utf8'),
      )
    }
  })

  it('leaves only Node built-ins outside the bundle', async () => {
    expect(build.code, build.stderr).toBe(0)
    const code = await readFile(join(root, 'dist/migrate/index.mjs'), 'utf8')
    const imported = [
      ...code.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm),
      ...code.matchAll(/\b__require\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((match) => match[1] ?? '')
    expect(imported.length).toBeGreaterThan(0)
    expect(imported.filter((name) => !isBuiltin(name))).toEqual([])
  })
})

describe('the bundled functions', () => {
  it('start through a loader that runs the bundle with the code cache its training left', async () => {
    expect(build.code, build.stderr).toBe(0)
    for (const name of ['auth', 'orgs', 'projects']) {
      expect(build.stdout).toMatch(
        new RegExp(`^dist/${name}/index\\.mjs\\s+runs function\\.cjs .* code cache trained`, 'm'),
      )
      const source = await readFile(join(root, 'dist', name, 'function.cjs'))
      const caches = (await readdir(join(root, 'dist', name))).filter((f) => f.endsWith('.cache'))
      // Named after the bundle's checksum, as the loader looks for it.
      expect(caches).toEqual([`function.${crc32(source).toString(16).padStart(8, '0')}.cache`])
      // The loader's vm.Script cannot import(): everything must be in the bundle.
      expect(source.toString('latin1')).not.toMatch(/\bimport\(/)
    }
    const result = await run(['dist/projects/index.mjs'], {
      ...baseEnv(),
      NODE_DEBUG: 'tenantry_code_cache',
    })
    expect(result.stderr).toMatch(/^TENANTRY_CODE_CACHE \d+: code cache accepted$/m)
    // Loaded and then stopped by the environment check, as a start without variables is.
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^DATABASE_URL: required/m)
  })

  it('compile without a cache that was not trained on this very bundle', async () => {
    expect(build.code, build.stderr).toBe(0)
    const copy = await mkdtemp(join(tmpdir(), 'tenantry-bundle-'))
    try {
      await cp(join(root, 'dist/projects'), copy, { recursive: true })
      // Same length, other bytes: V8 alone would take the old cache for it.
      const file = join(copy, 'function.cjs')
      const source = await readFile(file, 'latin1')
      const edited = source.replace('required, the token issuer', 'required, THE TOKEN ISSUER')
      expect(edited.length).toBe(source.length)
      expect(edited).not.toBe(source)
      await writeFile(file, edited, 'latin1')
      const result = await run([join(copy, 'index.mjs')], {
        ...baseEnv(),
        NODE_DEBUG: 'tenantry_code_cache',
      })
      expect(result.stderr).toMatch(/^TENANTRY_CODE_CACHE \d+: no code cache for /m)
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^AUTH_ISSUER: required, THE TOKEN ISSUER$/m)
    } finally {
      await rm(copy, { recursive: true, force: true })
    }
  })
})

describe('the bundled migration job', () => {
  let db: TestDatabase

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true })
  })

  afterAll(async () => {
    await db?.drop()
  })

  it('migrates an empty database, logging progress as JSON lines on stderr', async () => {
    const env = baseEnv({ DATABASE_URL: db.url('tenantry_owner') })

    const first = await run([job], env, jobDir)

    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toBe('')
    const files = (await readdir(MIGRATIONS)).filter((f) => f.endsWith('.sql')).sort()
    const lines = jsonLines(first.stderr)
    expect(lines.filter((l) => l.msg === 'applied migration').map((l) => l.file)).toEqual(files)
    expect(lines.at(-1)).toMatchObject({
      name: 'migrate',
      level: 'info',
      msg: 'migrations up to date',
      applied: files.length,
    })
    const tables = await db.admin<{ name: string }[]>`
      select table_name as name from information_schema.tables
      where table_schema = 'public' and table_name in ('users', 'projects', 'service_configs')
      order by 1`
    expect(tables.map((t) => t.name)).toEqual(['projects', 'service_configs', 'users'])
    const applied = await db.admin`select version from migrations.applied`
    expect(applied).toHaveLength(files.length)

    const second = await run([job], env, jobDir)
    expect(second.code, second.stderr).toBe(0)
    expect(jsonLines(second.stderr).at(-1)).toMatchObject({ applied: 0 })
  })

  it('exits non-zero naming DATABASE_URL when it is unset', async () => {
    const result = await run([job], baseEnv(), jobDir)

    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/^DATABASE_URL: required/m)
  })

  it('names every bad variable on its own line and never prints their values', async () => {
    const secret = 'hunter2-do-not-print'
    const env = baseEnv({
      DATABASE_URL: `mysql://tenantry:${secret}@db.internal/tenantry`,
      LOG_LEVEL: `loud-${secret}`,
    })

    const result = await run([job], env, jobDir)

    expect(result.code).not.toBe(0)
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL$/),
      expect.stringMatching(/^LOG_LEVEL: one of /),
    ])
    expect(result.stderr).not.toContain(secret)
  })

  it('exits non-zero with a logged reason when the database cannot be reached', async () => {
    const unreachable = new URL(db.url('tenantry_owner'))
    unreachable.hostname = '127.0.0.1'
    unreachable.port = '1'

    const result = await run([job], baseEnv({ DATABASE_URL: unreachable.toString() }), jobDir)

    expect(result.code).not.toBe(0)
    expect(jsonLines(result.stderr).at(-1)).toMatchObject({ level: 'fatal', name: 'migrate' })
    expect(result.stderr).not.toContain(unreachable.password)
  })
})
