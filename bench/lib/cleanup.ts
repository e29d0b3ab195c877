/**
 * Cleanup that runs however a benchmark ends: normally, on an error, or on Ctrl-C /
 * SIGTERM. Tasks run last-registered first (pools end before their database is dropped,
 * the database is dropped before its server stops).
 */

interface Task {
  label: string
  run: () => unknown
}

const tasks: Task[] = []
let cleaning: Promise<void> | undefined

export function onCleanup(label: string, run: () => unknown): void {
  tasks.push({ label, run })
  // Registered while cleanup is already under way (a signal arrived mid-setup): run it too.
  if (cleaning) cleaning = cleaning.then(runAll)
}

export function cleanup(): Promise<void> {
  cleaning ??= runAll()
  return cleaning
}

async function runAll(): Promise<void> {
  for (let task = tasks.pop(); task; task = tasks.pop()) {
    try {
      await task.run()
    } catch (error) {
      process.stderr.write(`cleanup: ${task.label} failed: ${messageOf(error)}\n`)
    }
  }
}

/** Runs a benchmark's main function with cleanup, error reporting and signal handling. */
export async function runMain(main: () => Promise<void>): Promise<void> {
  let signalledAt = 0
  const onSignal = (signal: NodeJS.Signals) => {
    // npm forwards the terminal's signal too: ignore repeats, unless cleanup is stuck.
    if (signalledAt) {
      if (Date.now() - signalledAt > 3000) process.exit(1)
      return
    }
    signalledAt = Date.now()
    process.stderr.write(`\n${signal}: cleaning up…\n`)
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // Main stuck on a promise nothing will settle (the event loop ran dry): clean up anyway.
  const onDrained = () => {
    process.stderr.write('benchmark stalled: nothing left to wait for; cleaning up\n')
    process.exitCode = 1
    void cleanup()
  }
  process.once('beforeExit', onDrained)
  try {
    await main()
  } catch (error) {
    if (!signalledAt) {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`)
      process.exitCode = 1
    }
  } finally {
    process.off('beforeExit', onDrained)
    if (!signalledAt) {
      await cleanup()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
