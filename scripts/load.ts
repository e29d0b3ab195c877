import { main } from '../load-tests/harness/cli.ts'

/**
 * `npm run load -- <scenario> [--url …] [--vus …] [--duration …]`: the k6 scenarios of
 * load-tests/ run by the Node harness, for machines without k6 (load-tests/README.md).
 */
process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: process.stderr,
})
