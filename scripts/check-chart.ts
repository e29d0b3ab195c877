import { parseAllDocuments } from 'yaml'
import { chartDifferences } from '#platform/manifests/chart.ts'

/**
 * `helm template charts/tenantry-functions | node scripts/check-chart.ts` (CI): the chart
 * rendered with its default values must print exactly the generator's objects (knative/
 * base's Services, ConfigMap, migration Job, access objects and disruption budgets),
 * plus the chart's own labels and hook annotations. helm is not on the development
 * machines, so this runs where helm is: in the GitHub workflow.
 */

const chunks: Buffer[] = []
for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
const text = Buffer.concat(chunks).toString('utf8')

const documents = parseAllDocuments(text)
const errors = documents.flatMap((doc) => doc.errors.map((error) => error.message))
if (errors.length > 0) {
  process.stderr.write(`helm template printed invalid YAML:\n${errors.join('\n')}\n`)
  process.exit(1)
}
const objects = documents.map((doc) => doc.toJS() as unknown).filter((o) => o !== null)
if (objects.length === 0) {
  process.stderr.write('no objects on stdin: pipe `helm template charts/tenantry-functions` in\n')
  process.exit(1)
}
const problems = chartDifferences(objects)
if (problems.length > 0) {
  process.stderr.write(`the chart differs from the generator:\n  ${problems.join('\n  ')}\n`)
  process.exit(1)
}
process.stdout.write(`chart matches the generator: ${objects.length} objects\n`)
