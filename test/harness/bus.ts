import type { BusHandlers } from '#shared/bus/bus.ts'

/** Bus handlers that record what reaches them, for tests to assert on. */
export interface BusRecorder {
  got: Array<[string, string]>
  subscribed: number
  lost: unknown[]
  handlers: BusHandlers
}

export function recordBus(onMessage?: (channel: string, message: string) => void): BusRecorder {
  const rec: BusRecorder = {
    got: [],
    subscribed: 0,
    lost: [],
    handlers: {
      message(channel, message) {
        rec.got.push([channel, message])
        onMessage?.(channel, message)
      },
      subscribed: () => {
        rec.subscribed++
      },
      lost: (error) => {
        rec.lost.push(error)
      },
    },
  }
  return rec
}

let count = 0

/** A channel name no other test file or run uses: they share one Redis at the same time. */
export function uniqueChannel(prefix: string, what: string): string {
  return `${prefix}:${process.pid}:${Date.now()}:${count++}:${what}`
}
