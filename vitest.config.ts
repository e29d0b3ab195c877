import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: [
      'platform/**/*.test.ts',
      'functions/**/*.test.ts',
      'shared/**/*.test.ts',
      'test/**/*.test.ts',
      'load-tests/**/*.test.ts',
    ],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
