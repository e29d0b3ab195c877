import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { MONITORING_DIR, observabilityFiles } from './assets.ts'

/**
 * clusters/base/monitoring/ is exactly what `npm run observability` writes: a dashboard,
 * rule or monitor changed in platform/observability/ fails here until it is regenerated,
 * and so does a hand edit of a generated file or a file the generator does not write.
 */

const root = fileURLToPath(new URL('../..', import.meta.url))
const files = observabilityFiles()

describe('generated observability files (npm run observability)', () => {
  it.each([...files.keys()])('%s is committed as generated', async (path) => {
    const committed = await readFile(join(root, path), 'utf8').catch(() => undefined)
    expect(committed, `${path} is missing: run npm run observability`).toBeDefined()
    expect(committed, `${path} differs: run npm run observability`).toBe(files.get(path))
  })

  it(`${MONITORING_DIR}/ holds no file the generator does not write`, async () => {
    const entries = await readdir(join(root, MONITORING_DIR), {
      recursive: true,
      withFileTypes: true,
    })
    const onDisk = entries
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(root.length))
    expect(onDisk.filter((path) => !files.has(path))).toEqual([])
  })
})
