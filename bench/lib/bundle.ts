import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The bundled functions (`node dist/<name>/index.mjs`, DESIGN.md §1) are what the
 * benchmarks start, so they build first (`npm run build`, about a second or two): a
 * stale bundle would measure old code.
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export function bundlePath(name: string): string {
  return `${ROOT}dist/${name}/index.mjs`
}

/** Runs scripts/build.ts with this Node; resolves with the entry's path and the bundle's size. */
export async function buildBundle(name: string): Promise<{ path: string; kib: number }> {
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}scripts/build.ts`], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    child.once('error', reject)
    child.once('exit', (exitCode) => resolve(exitCode ?? 1))
  })
  if (code !== 0) throw new Error(`npm run build failed (exit ${code})`)
  const path = bundlePath(name)
  return { path, kib: statSync(`${ROOT}dist/${name}/function.cjs`).size / 1024 }
}

/**
 * The bundle a benchmark starts: built now (`build`) or dist/ as it is. `description` is
 * the benchmark's `function:` line: the entry, and the bundle's size when built now.
 */
export async function benchBundle(
  name: string,
  build: boolean,
): Promise<{ path: string; description: string }> {
  if (!build) {
    const path = bundlePath(name)
    return { path, description: `${path.slice(ROOT.length)} (not rebuilt)` }
  }
  const { path, kib } = await buildBundle(name)
  return {
    path,
    description: `${path.slice(ROOT.length)} (bundle ${kib.toFixed(0)} KiB, built now)`,
  }
}
