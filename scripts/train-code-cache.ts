import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { type EmbeddedPostgres, startEmbeddedPostgres } from '#platform/embedded/postgres.ts'
import { DEV_KEY_FILE, loadOrCreateDevKey } from '#shared/auth/keys.ts'
import { createLogger } from '#shared/log.ts'

/**
 * The training run behind a function's code cache (ADR-0005). Each built function is
 * started once from dist/ with TENANTRY_TRAIN_CODE_CACHE=1, against the embedded
 * PostgreSQL (as `npm start` uses), and sent what a cold start meets: /readyz
 * polled until ready, then /healthz, /metrics and an unknown path. At exit its loader
 * writes what V8 compiled meanwhile, and later starts compile none of it.
 */

/** Paths every function serves the same way, none needing a token. */
const TRAINING_PATHS = ['/healthz', '/readyz', '/metrics', '/v1/code-cache-training']
const START_TIMEOUT_MS = 30_000

export interface Trainer {
  train(dir: string): Promise<void>
  stop(): Promise<void>
}

export async function startTrainer(): Promise<Trainer> {
  const work = await mkdtemp(join(tmpdir(), 'tenantry-code-cache-'))
  // As root the embedded server runs as the postgres account, which must reach data/.
  await chmod(work, 0o711)
  let pg: EmbeddedPostgres | undefined
  try {
    pg = await startEmbeddedPostgres(join(work, 'data'), createLogger('build', { level: 'warn' }))
    await loadOrCreateDevKey(work)
  } catch (error) {
    await pg?.stop()
    await rm(work, { recursive: true, force: true })
    throw error
  }
  const database = pg
  // One environment fits every function: each reads its own variables and ignores the
  // rest. Nothing here outlives the build: the key and the secret are thrown away.
  const env = {
    PATH: process.env.PATH ?? '',
    PORT: '0',
    DATABASE_URL: database.url,
    AUTH_ISSUER: 'http://localhost/code-cache-training',
    AUTH_AUDIENCE: 'code-cache-training',
    AUTH_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json', // never fetched: no tokens
    AUTH_SIGNING_KEY: await readFile(join(work, DEV_KEY_FILE), 'utf8'),
    CURSOR_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'info',
    TENANTRY_TRAIN_CODE_CACHE: '1',
  }
  return {
    train: (dir) => trainOne(dir, env),
    async stop() {
      await database.stop()
      await rm(work, { recursive: true, force: true })
    },
  }
}

async function trainOne(dir: string, env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [join(dir, 'index.mjs')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS)
  try {
    const port = await listeningPort(child.stdout)
    while ((await get(port, '/readyz')) !== 200) await new Promise((r) => setTimeout(r, 5))
    for (const path of TRAINING_PATHS) await get(port, path)
    child.kill('SIGTERM')
    const code = await exited
    if (code !== 0) throw new Error(`exited ${code}`)
    const caches = (await readdir(dir)).filter((file) => file.endsWith('.cache'))
    if (caches.length !== 1) throw new Error(`left ${caches.length} cache files`)
  } catch (error) {
    child.kill('SIGKILL')
    const reason = error instanceof Error ? error.message : String(error)
    throw new Error(`training ${dir} failed: ${reason}\n${stderr.slice(-2000)}`)
  } finally {
    clearTimeout(timer)
  }
}

/** The port from the function's `listening` log line (PORT=0 lets the kernel choose). */
function listeningPort(stdout: NodeJS.ReadableStream): Promise<number> {
  // The reader stays open to the end: a full pipe would stall the function's logging.
  const lines = createInterface({ input: stdout })
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return
      const entry = JSON.parse(line) as { msg?: string; port?: number }
      if (entry.msg === 'listening' && typeof entry.port === 'number') resolve(entry.port)
    })
    lines.once('close', () => reject(new Error('exited before listening')))
  })
}

/** One GET on a fresh connection, as a probe makes it; resolves with the status. */
function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume()
      res.once('end', () => resolve(res.statusCode ?? 0))
    })
    req.once('error', reject)
    req.end()
  })
}
