import { FUNCTIONS } from '#platform/functions.ts'
import { writeGenerated } from '#platform/generated-files.ts'
import { generatedFiles } from '#platform/manifests/generated.ts'

/**
 * `npm run manifests`: writes every generated deployment file (knative/, the chart's
 * values) from platform/functions.ts. knative/ is replaced whole, so a file no longer
 * generated (a function removed) disappears too.
 */

await writeGenerated('knative', generatedFiles(FUNCTIONS))
