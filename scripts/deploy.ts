import { deployCli } from '#platform/deploy/cli.ts'

/** `npm run deploy -- <function> [options]`: see platform/deploy/ and `--help`. */
process.exitCode = await deployCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
})
