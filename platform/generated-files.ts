import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * How `npm run manifests` and `npm run observability` write what they generate: `dir`
 * is replaced whole, so a file no longer generated disappears too, then every file is
 * written at its repository path (some may lie outside `dir`).
 */

const root = fileURLToPath(new URL('..', import.meta.url))

export async function writeGenerated(
  dir: string,
  files: ReadonlyMap<string, string>,
): Promise<void> {
  await rm(join(root, dir), { recursive: true, force: true })
  for (const [path, contents] of files) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), contents)
  }
  const count = (await readdir(join(root, dir), { recursive: true })).length
  process.stdout.write(`wrote ${files.size} files (${count} entries under ${dir}/)\n`)
}
