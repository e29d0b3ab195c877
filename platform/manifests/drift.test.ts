import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { FUNCTIONS } from '#platform/functions.ts'
import { generatedFiles } from './generated.ts'

/**
 * The committed deployment files are exactly what `npm run manifests` writes: a function
 * added to platform/functions.ts, or a profile changed, fails here until they are
 * regenerated, and a hand edit of a generated file fails here too.
 */

const root = fileURLToPath(new URL('../..', import.meta.url))
const files = generatedFiles(FUNCTIONS)

describe('generated deployment files (npm run manifests)', () => {
  it.each([...files.keys()])('%s is committed as generated', async (path) => {
    const committed = await readFile(join(root, path), 'utf8').catch(() => undefined)
    expect(committed, `${path} is missing: run npm run manifests`).toBeDefined()
    expect(committed, `${path} differs: run npm run manifests`).toBe(files.get(path))
  })

  it('knative/ holds no file the generator does not write', async () => {
    const entries = await readdir(join(root, 'knative'), { recursive: true, withFileTypes: true })
    const onDisk = entries
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(root.length))
    expect(onDisk.filter((path) => !files.has(path))).toEqual([])
  })
})
