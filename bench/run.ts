import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'

/** `npm run bench -- <name> [options]` runs bench/<name>.ts; without a name, lists them. */

const dir = new URL('./', import.meta.url)
const available = readdirSync(dir)
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts')
  .map((file) => file.slice(0, -'.ts'.length))
  .sort()
const [name, ...args] = process.argv.slice(2)

if (!name || name === '--help' || name === '-h' || !available.includes(name)) {
  if (name && !name.startsWith('-')) process.stderr.write(`no benchmark named ${name}\n`)
  process.stdout.write(
    `usage: npm run bench -- <name> [options]   (options: npm run bench -- <name> --help)\n\nbenchmarks:\n${available.map((b) => `  ${b}`).join('\n')}\n`,
  )
  process.exitCode = name && name !== '--help' && name !== '-h' ? 2 : 0
} else {
  // A child of its own, so each benchmark owns its process (signals, exit code, CPU meter).
  const child = spawn(process.execPath, [new URL(`${name}.ts`, dir).pathname, ...args], {
    stdio: 'inherit',
  })
  // Ctrl-C reaches the child from the terminal too; it ignores the repeat. Stay alive
  // until the child has cleaned up, and pass on a signal sent to this process alone.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => child.kill(signal))
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 128 : 1)
  })
}
