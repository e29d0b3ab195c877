import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { writeGenerated } from '#platform/generated-files.ts'
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

const { values } = parseArgs({ options: { 'rules-file': { type: 'string' } } })

await writeGenerated(MONITORING_DIR, observabilityFiles())
if (values['rules-file']) {
  await writeFile(values['rules-file'], promtoolRuleFile())
  process.stdout.write(`wrote the rule groups to ${values['rules-file']}\n`)
}
