import type { Reporter, TestModule } from 'vitest/node'

/**
 * Adds one plain closing line, `tests: N passed, N failed[, N skipped]`, after vitest's
 * own summary, so that tools reading only a run's last line can count tests too.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed' || state === 'failed' || state === 'skipped') counts[state]++
      }
      // A file that failed to load counts as a failure even though it has no tests.
      if (module.state() === 'failed' && !module.children.size) counts.failed++
    }
    const skipped = counts.skipped ? `, ${counts.skipped} skipped` : ''
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed${skipped}\n`)
  }
}
