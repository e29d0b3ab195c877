import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

/**
 * The drift test of a generator (`npm run manifests`, `npm run observability`): each file
 * it writes is committed exactly as generated, and `dir`, which it replaces whole, holds
 * no other file.
 */
export function describeGenerated(
  title: string,
  command: string,
  dir: string,
  files: ReadonlyMap<string, string>,
): void {
  describe(title, () => {
    it.each([...files.keys()])('%s is committed as generated', async (path) => {
      const committed = await readFile(join(root, path), 'utf8').catch(() => undefined)
      expect(committed, `${path} is missing: run ${command}`).toBeDefined()
      expect(committed, `${path} differs: run ${command}`).toBe(files.get(path))
    })

    it(`${dir}/ holds no file the generator does not write`, async () => {
      const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true })
      const onDisk = entries
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(root.length))
      expect(onDisk.filter((path) => !files.has(path))).toEqual([])
    })
  })
}
