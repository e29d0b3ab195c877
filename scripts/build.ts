import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/**
 * `npm run build`: one self-contained ESM bundle per function, started in the container
 * as `node dist/<name>/index.mjs` (no npm in the image), plus the migration Job.
 *
 *   functions/<name>/main.ts   → dist/<name>/index.mjs
 *   shared/db/migrate-main.ts  → dist/migrate/index.mjs, SQL files in dist/migrate/migrations/
 *
 * Each bundle is built on its own, so it holds only what its entry imports.
 */

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')
const MIGRATE = 'migrate'

interface Bundle {
  name: string
  entry: string
  /** Folder of `.sql` files copied beside the bundle, into `migrations/`. */
  migrations?: string
}

// CommonJS dependencies bundled into ESM still call require() for Node built-ins.
const BANNER = [
  "import { createRequire as __tenantryCreateRequire } from 'node:module';",
  'const require = __tenantryCreateRequire(import.meta.url);',
].join('\n')

async function functionBundles(): Promise<Bundle[]> {
  const dir = join(root, 'functions')
  if (!existsSync(dir)) return []
  const entries = await readdir(dir, { withFileTypes: true })
  return entries
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'main.ts')))
    .map((entry) => ({ name: entry.name, entry: join(dir, entry.name, 'main.ts') }))
    .sort((a, b) => a.name.localeCompare(b.name))
}

async function bundle({ name, entry, migrations }: Bundle): Promise<string> {
  const out = join(dist, name)
  await rm(out, { recursive: true, force: true })
  const outfile = join(out, 'index.mjs')
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    banner: { js: BANNER },
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    // Less to parse at every cold start; the linked sourcemap keeps stack traces readable.
    minify: true,
    logLevel: 'warning',
  })
  let copied = 0
  if (migrations) {
    const target = join(out, 'migrations')
    await mkdir(target, { recursive: true })
    for (const file of (await readdir(migrations)).filter((f) => f.endsWith('.sql'))) {
      await copyFile(join(migrations, file), join(target, file))
      copied++
    }
  }
  const { size } = await stat(outfile)
  const extra = migrations ? ` + ${copied} migration files` : ''
  return `${relative(root, outfile)}  ${(size / 1024).toFixed(1)} KiB${extra}`
}

async function main(): Promise<void> {
  const functions = await functionBundles()
  if (functions.some((fn) => fn.name === MIGRATE)) {
    throw new Error(`functions/${MIGRATE}/ would overwrite the migration job's bundle; rename it`)
  }
  const bundles: Bundle[] = [
    ...functions,
    {
      name: MIGRATE,
      entry: join(root, 'shared/db/migrate-main.ts'),
      migrations: join(root, 'shared/db/migrations'),
    },
  ]
  const lines = await Promise.all(bundles.map(bundle))
  for (const line of lines) process.stdout.write(`${line}\n`)
}

try {
  await main()
} catch (error) {
  // esbuild has already printed its diagnostics; add the one-line reason and fail.
  process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
}
