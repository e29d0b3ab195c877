import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * The three layers import only downwards (DESIGN.md §1): `platform/` → `functions/` →
 * `shared/`. A function imports nothing of another function, and `shared/` nothing of
 * either layer above it. Tests and test support may import anything (the test kit lives
 * in test/), so they are left out.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"`]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)))
    else if (
      /\.(m?ts|m?js)$/.test(entry.name) &&
      !/\.test\.ts$|test-support\.ts$/.test(entry.name)
    ) {
      out.push(path)
    }
  }
  return out
}

/** Where an import lands, as a path from the repository root (packages and node: as is). */
function target(file: string, specifier: string): string {
  if (specifier.startsWith('#')) {
    const [alias, ...rest] = specifier.slice(1).split('/')
    return join(alias as string, ...rest)
  }
  if (specifier.startsWith('.')) return relative(ROOT, resolve(ROOT, dirname(file), specifier))
  return specifier
}

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(join(ROOT, file), 'utf8')
  return [...text.matchAll(IMPORT)].map((m) => target(file, (m[1] ?? m[2]) as string))
}

/** Every import of every file under `dir` that lands where `forbidden` says. */
async function violations(dir: string, forbidden: (file: string, to: string) => boolean) {
  const found: string[] = []
  for (const file of await sourceFiles(dir)) {
    for (const to of await importsOf(file)) if (forbidden(file, to)) found.push(`${file} → ${to}`)
  }
  return found
}

const layerOf = (path: string) => path.split('/')[0]

describe('layers import only downwards', () => {
  it('shared/ imports nothing from functions/, platform/ or test/', async () => {
    expect(
      await violations('shared', (_file, to) =>
        ['functions', 'platform', 'test'].includes(layerOf(to) ?? ''),
      ),
    ).toEqual([])
  })

  it('a function imports only shared/ and its own folder', async () => {
    expect(
      await violations('functions', (file, to) => {
        const own = file.split('/')[1]
        if (layerOf(to) === 'functions') return to.split('/')[1] !== own
        return ['platform', 'test', 'scripts', 'bench'].includes(layerOf(to) ?? '')
      }),
    ).toEqual([])
  })

  it('platform/ imports nothing from test/ or scripts/', async () => {
    expect(
      await violations('platform', (_file, to) =>
        ['test', 'scripts', 'bench'].includes(layerOf(to) ?? ''),
      ),
    ).toEqual([])
  })

  it('sees imports in all their forms (the check itself can fail)', async () => {
    const text = [
      "import { a } from '#functions/auth/function.ts'",
      "export { b } from '../../platform/x.ts'",
      "const c = await import('#platform/y.ts')",
    ].join('\n')
    const found = [...text.matchAll(IMPORT)].map((m) =>
      target('shared/http/z.ts', (m[1] ?? m[2]) as string),
    )
    expect(found).toEqual(['functions/auth/function.ts', 'platform/x.ts', 'platform/y.ts'])
  })
})
