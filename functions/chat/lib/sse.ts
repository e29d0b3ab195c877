import type { ServerResponse } from 'node:http'
import type { CloseCode, ServerFrame } from './frames.ts'
import type { StreamSink } from './hub.ts'

/**
 * The SSE side of a chat stream (API.md "chat"): a response body the hub writes events
 * into. Replies carry their sequence as the event id, so a reconnecting EventSource sends
 * `Last-Event-ID` and resumes; a resync is an event of its own; a heartbeat comment keeps
 * proxies from timing the stream out; how a stream ends (4404, 1012, 1013, 4429) is a last
 * `close` event, then the end of the response.
 *
 * The body is a ReadableStream that the Node adapter reads only as fast as the socket
 * takes it (it waits for 'drain'), so what is queued in it is exactly what the client has
 * not read yet: that, plus the socket's own buffer, is the stream's backlog.
 */

const DEFAULT_HEARTBEAT_MS = 15_000
/** How long a closed stream's last events may take to be read before the socket is dropped. */
const DEFAULT_SSE_CLOSE_GRACE_MS = 5_000

interface SseOptions {
  heartbeatMs?: number
  closeGraceMs?: number
  /** The Node response, when served by @hono/node-server: its buffer counts as backlog. */
  outgoing?: ServerResponse
  /** The client went away (the adapter cancelled the body). */
  onCancel(): void
}

const encoder = new TextEncoder()

/** One frame as an SSE event. JSON has no raw newlines, so `data` is always one line. */
function sseEvent(frame: ServerFrame): string {
  const data = JSON.stringify(frame)
  if (frame.type === 'reply') return `event: reply\nid: ${frame.seq}\ndata: ${data}\n\n`
  return `event: ${frame.type}\ndata: ${data}\n\n`
}

function sseCloseEvent(code: CloseCode): string {
  return `event: close\ndata: ${JSON.stringify({ code })}\n\n`
}

export function sseStream(options: SseOptions): {
  body: ReadableStream<Uint8Array>
  sink: StreamSink
} {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let ended = false
  let heartbeat: NodeJS.Timeout | undefined
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
      },
      cancel() {
        if (ended) return
        ended = true
        clearInterval(heartbeat)
        options.onCancel()
      },
    },
    // High-water mark 0: nothing is pulled ahead; desiredSize is minus the queued bytes.
    new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
  )
  const write = (text: string) => {
    if (!ended) controller.enqueue(encoder.encode(text))
  }
  heartbeat = setInterval(
    () => write(': heartbeat\n\n'),
    options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
  )
  heartbeat.unref()

  const sink: StreamSink = {
    transport: 'sse',
    send: (frame) => write(sseEvent(frame)),
    bufferedBytes: () =>
      Math.max(0, -(controller.desiredSize ?? 0)) + (options.outgoing?.writableLength ?? 0),
    close(code) {
      if (ended) return
      write(sseCloseEvent(code))
      ended = true
      clearInterval(heartbeat)
      controller.close()
      const outgoing = options.outgoing
      if (outgoing) {
        // A client that does not read (1013) would otherwise hold the socket and its
        // backlog for as long as TCP lets it.
        const timer = setTimeout(() => {
          if (!outgoing.writableFinished) outgoing.destroy()
        }, options.closeGraceMs ?? DEFAULT_SSE_CLOSE_GRACE_MS)
        timer.unref()
        outgoing.once('close', () => clearTimeout(timer))
      }
    },
  }
  return { body, sink }
}
