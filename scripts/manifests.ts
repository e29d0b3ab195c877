import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FUNCTIONS } from '#platform/functions.ts'
import { generatedFiles } from '#platform/manifests/generated.ts'

/**
 * `npm run manifests`: writes every generated deployment file (knative/, the chart's
 * values) from platform/functions.ts. knative/ is replaced whole, so a file no longer
 * generated (a function removed) disappears too.
 */

const root = fileURLToPath(new URL('..', import.meta.url))
const files = generatedFiles(FUNCTIONS)

await rm(join(root, 'knative'), { recursive: true, force: true })
for (const [path, contents] of files) {
  await mkdir(dirname(join(root, path)), { recursive: true })
  await writeFile(join(root, path), contents)
}
const count = (await readdir(join(root, 'knative'), { recursive: true })).length
process.stdout.write(`wrote ${files.size} files (${count} entries under knative/)\n`)
