import { FUNCTIONS } from '#platform/functions.ts'
import { describeGenerated } from '#test/harness/generated.ts'
import { generatedFiles } from './generated.ts'

/**
 * The committed deployment files are exactly what `npm run manifests` writes: a function
 * added to platform/functions.ts, or a profile changed, fails here until they are
 * regenerated, and a hand edit of a generated file fails here too.
 */

describeGenerated(
  'generated deployment files (npm run manifests)',
  'npm run manifests',
  'knative',
  generatedFiles(FUNCTIONS),
)
