import { describeGenerated } from '#test/harness/generated.ts'
import { MONITORING_DIR, observabilityFiles } from './assets.ts'

/**
 * clusters/base/monitoring/ is exactly what `npm run observability` writes: a dashboard,
 * rule or monitor changed in platform/observability/ fails here until it is regenerated,
 * and so does a hand edit of a generated file or a file the generator does not write.
 */

describeGenerated(
  'generated observability files (npm run observability)',
  'npm run observability',
  MONITORING_DIR,
  observabilityFiles(),
)
