import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  MONITORING_DIR,
  observabilityFiles,
  promtoolRuleFile,
} from '#platform/observability/assets.ts'

/**
 * `npm run observability`: writes clusters/base/monitoring/ (PodMonitors, the
 * PrometheusRule, the dashboards) from platform/observability/. The directory is replaced
 * whole, so a dashboard no longer generated disappears too.
 *
 * `--rules-file <path>` also writes the rule groups as a plain Prometheus rule file,
 * for `promtool check rules <path>` (promtool does not read the PrometheusRule kind).
 */

const root = fileURLToPath(new URL('..', import.meta.url))
const { values } = parseArgs({ options: { 'rules-file': { type: 'string' } } })
const files = observabilityFiles()

await rm(join(root, MONITORING_DIR), { recursive: true, force: true })
for (const [path, contents] of files) {
  await mkdir(dirname(join(root, path)), { recursive: true })
  await writeFile(join(root, path), contents)
}
const count = (await readdir(join(root, MONITORING_DIR), { recursive: true })).length
process.stdout.write(`wrote ${files.size} files (${count} entries under ${MONITORING_DIR}/)\n`)
if (values['rules-file']) {
  await writeFile(values['rules-file'], promtoolRuleFile())
  process.stdout.write(`wrote the rule groups to ${values['rules-file']}\n`)
}
