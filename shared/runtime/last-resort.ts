import type { Served } from '#shared/http/serve.ts'
import type { Logger } from '#shared/log.ts'

/**
 * The last line of defence of a serving process, installed once at start. A promise
 * that rejects with nobody listening is a bug to fix where it starts, but it must not
 * take the process down with every request it is serving: it is logged as one `error`
 * line and the process keeps serving. An uncaught exception is different: the code that
 * threw was interrupted half-way, so its state cannot be trusted; it is logged as `fatal`
 * and the process leaves through its graceful shutdown (drain, close pools, exit 1), or
 * exits 1 at once when it is not serving yet.
 */
export interface LastResort {
  /** From now on a fatal error drains this server instead of exiting at once. */
  serving(served: Pick<Served, 'shutdown'>): void
}

export function installLastResort(log: Logger): LastResort {
  let served: Pick<Served, 'shutdown'> | undefined
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'unhandled promise rejection; still serving')
  })
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception; shutting down')
    log.flush()
    if (served) void served.shutdown('uncaught exception', { failed: true })
    else process.exit(1)
  })
  return {
    serving(server) {
      served = server
    },
  }
}
