import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'

/**
 * The last resort of a serving process (last-resort.ts), in a real process: a promise
 * rejected with nobody listening is one `error` line and the process keeps serving; an
 * uncaught exception is a `fatal` line and a graceful shutdown that exits 1.
 */

const FIXTURE = `
import { Readiness, registerHealth } from '#shared/http/health.ts'
import { createApp } from '#shared/http/platform.ts'
import { serve } from '#shared/http/serve.ts'
import { createLogger } from '#shared/log.ts'
import { installLastResort } from '#shared/runtime/last-resort.ts'
const log = createLogger('fixture', { destination: 1 })
const lastResort = installLastResort(log)
const readiness = new Readiness()
const app = createApp({ log })
registerHealth(app, readiness)
app.get('/reject', (c) => { Promise.reject(new Error('nobody listens to this')); return c.json({ ok: true }) })
app.get('/throw', (c) => { setImmediate(() => { throw new Error('thrown from a timer') }); return c.json({ ok: true }) })
const served = await serve(app, { port: 0, hostname: '127.0.0.1', log, readiness, onShutdown: () => log.info('pools closed') })
lastResort.serving(served)
readiness.ready()
`

function start() {
  const child = spawn(process.execPath, ['--input-type=module', '-e', FIXTURE], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  child.stdout.on('data', (chunk) => (text += chunk))
  child.stderr.on('data', (chunk) => (text += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  const port = new Promise<number>((resolve, reject) => {
    const check = setInterval(() => {
      const match = /"port":(\d+),"msg":"listening"/.exec(text)
      if (match) {
        clearInterval(check)
        resolve(Number(match[1]))
      } else if (child.exitCode !== null) {
        clearInterval(check)
        reject(new Error(text))
      }
    }, 20)
  })
  const lines = () =>
    text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; msg: string })
  return { child, exited, port, lines, output: () => text }
}

describe('the last resort', () => {
  it('logs a rejection nobody handles as one error line, and keeps serving', async () => {
    const proc = start()
    try {
      const port = await proc.port
      expect((await fetch(`http://127.0.0.1:${port}/reject`)).status).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
      expect(proc.child.exitCode).toBeNull()
      const errors = proc.lines().filter((line) => line.level === 'error')
      expect(errors.map((line) => line.msg)).toEqual(['unhandled promise rejection; still serving'])
    } finally {
      proc.child.kill('SIGKILL')
    }
  })

  it('shuts down gracefully and exits 1 on an uncaught exception', async () => {
    const proc = start()
    const port = await proc.port
    expect((await fetch(`http://127.0.0.1:${port}/throw`)).status).toBe(200)
    expect(await proc.exited, proc.output()).toBe(1)
    const messages = proc.lines().map((line) => line.msg)
    expect(messages).toContain('uncaught exception; shutting down')
    expect(messages).toContain('draining')
    expect(messages).toContain('pools closed')
  })
})
