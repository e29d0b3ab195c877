import { spawn } from 'node:child_process'
import { FUNCTIONS, functionNamed } from '#platform/functions.ts'

/** `npm run dev -- <function>`: one function alone, from source, restarted on change. */
const name = process.argv[2]
if (!name || !functionNamed(name)) {
  const known = FUNCTIONS.map((fn) => fn.name).join(', ')
  process.stderr.write(`usage: npm run dev -- <function>; functions: ${known}\n`)
  process.exit(2)
}
const child = spawn(process.execPath, ['--watch', `functions/${name}/main.ts`], {
  stdio: 'inherit',
})
child.on('exit', (code) => process.exit(code ?? 1))
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
