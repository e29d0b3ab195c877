import { chmod, copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises'
import { isBuiltin } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BuildOptions, build, type Plugin } from 'esbuild'
import { FUNCTIONS } from '#platform/functions.ts'
import { startTrainer, type Trainer } from './train-code-cache.ts'

/**
 * `npm run build`: one self-contained bundle per function, started in the container as
 * `node dist/<name>/index.mjs` (no npm in the image), plus the migration Job.
 *
 *   functions/<name>/main.ts   → dist/<name>/function.cjs, the bundle
 *                                dist/<name>/index.mjs, the entry (scripts/function-loader.mjs)
 *                                dist/<name>/function.<crc32>.cache, V8's code after a
 *                                training run (scripts/train-code-cache.ts)
 *   shared/db/migrate-main.ts  → dist/migrate/index.mjs, SQL files in dist/migrate/migrations/
 *
 * Each bundle is built on its own, so it holds only what its entry imports. A function's
 * main.ts exports `main()` and runs it only when it is the process's main module; the
 * loader calls it.
 */

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')
const MIGRATE = 'migrate'

// The migration job is an ES module, and CommonJS dependencies bundled into it still call
// require() for Node built-ins.
const BANNER = [
  "import { createRequire as __tenantryCreateRequire } from 'node:module';",
  'const require = __tenantryCreateRequire(import.meta.url);',
].join('\n')

interface Bundle {
  name: string
  entry: string
  /** Folder of `.sql` files copied beside the bundle, into `migrations/`. */
  migrations?: string
}

/**
 * Node built-ins are taken with `process.getBuiltinModule()` instead of an ESM `import`.
 * An imported built-in gets an ESM facade that reads every export once, and reading
 * `node:http`'s exports loads Node's internal undici (~25 ms of every cold start, for
 * web globals a function never touches at start). getBuiltinModule returns the plain
 * module object, whose properties the bundle then reads only where it uses them.
 */
const builtinsWithoutFacades: Plugin = {
  name: 'builtins-without-esm-facades',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, ({ path }) =>
      isBuiltin(path) ? { path: path.replace(/^node:/, ''), namespace: 'node-builtin' } : undefined,
    )
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, ({ path }) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(`node:${path}`)})`,
      loader: 'js',
    }))
  },
}

/** Copied to dist/<name>/index.mjs: runs function.cjs through its trained code cache. */
const LOADER = join(root, 'scripts/function-loader.mjs')

/** One bundle per function of the list, from its main module. */
function functionBundles(): Bundle[] {
  return FUNCTIONS.map((fn) => ({
    name: fn.name,
    entry: join(root, 'functions', fn.name, 'main.ts'),
  }))
}

const COMMON = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node24',
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  // Less to read at every cold start; the linked sourcemap keeps stack traces readable.
  minify: true,
  logLevel: 'warning',
  plugins: [builtinsWithoutFacades],
} satisfies BuildOptions

/**
 * A function is one CommonJS bundle, because only a classic script's code cache can be
 * taken after it ran (vm.Script#createCachedData); Node's compile cache for ES modules
 * holds only what V8 compiled before running (ADR-0005). What main.ts imports with
 * `await import()` (ioredis, the Kubernetes client) is inlined and evaluated only then.
 */
async function bundleFunction({ name, entry }: Bundle, trainer: Trainer): Promise<string> {
  const out = join(dist, name)
  await rm(out, { recursive: true, force: true })
  await build({
    ...COMMON,
    format: 'cjs',
    entryPoints: [entry],
    outfile: join(out, 'function.cjs'),
    // The loader calls main(); main.ts runs itself only as the main module (npm run dev).
    define: { 'import.meta.main': 'false' },
  })
  await copyFile(LOADER, join(out, 'index.mjs'))
  await trainer.train(out)
  // The image runs as another user than the build.
  for (const file of await readdir(out)) await chmod(join(out, file), 0o644)
  const kib = async (file: string) => ((await stat(join(out, file))).size / 1024).toFixed(1)
  const cache = (await readdir(out)).find((file) => file.endsWith('.cache')) ?? ''
  return `${relative(root, join(out, 'index.mjs'))}  runs function.cjs ${await kib('function.cjs')} KiB, code cache trained (${await kib(cache)} KiB)`
}

async function bundleMigrations({ name, entry, migrations }: Bundle): Promise<string> {
  const out = join(dist, name)
  await rm(out, { recursive: true, force: true })
  const outfile = join(out, 'index.mjs')
  await build({ ...COMMON, format: 'esm', banner: { js: BANNER }, entryPoints: [entry], outfile })
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
  return `${relative(root, outfile)}  ${(size / 1024).toFixed(1)} KiB + ${copied} migration files`
}

async function main(): Promise<void> {
  const functions = functionBundles()
  if (functions.some((fn) => fn.name === MIGRATE)) {
    throw new Error(
      `a function named ${MIGRATE} would overwrite the migration job's bundle; rename it`,
    )
  }
  const lines = [
    await bundleMigrations({
      name: MIGRATE,
      entry: join(root, 'shared/db/migrate-main.ts'),
      migrations: join(root, 'shared/db/migrations'),
    }),
  ]
  const trainer = await startTrainer()
  try {
    // One at a time: the training runs share one embedded PostgreSQL.
    for (const fn of functions) lines.push(await bundleFunction(fn, trainer))
  } finally {
    await trainer.stop()
  }
  for (const line of lines) process.stdout.write(`${line}\n`)
}

try {
  await main()
} catch (error) {
  // esbuild has already printed its diagnostics; add the one-line reason and fail.
  process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
}
