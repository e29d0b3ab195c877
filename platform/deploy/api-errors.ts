import { ApiException } from '@kubernetes/client-node'
import { DeployError, oneLine } from './errors.ts'

/**
 * Turns what the client throws into a DeployError with one line that says what failed
 * and where. `doing` names the step ("applying tenantry/auth"); `server` is the API
 * server's URL from the kubeconfig, so a refused connection says which cluster refused.
 */
export function apiError(error: unknown, doing: string, server: string): DeployError {
  if (error instanceof DeployError) return error
  if (error instanceof ApiException) {
    const status = statusOf(error)
    const what = status.message ?? status.reason ?? `HTTP ${error.code}`
    return new DeployError('ERR_REFUSED', `${doing} on ${server}: ${error.code} ${what}`)
  }
  const network = networkFailure(error)
  if (network) return new DeployError('ERR_UNREACHABLE', `cannot reach ${server}: ${network}`)
  const message = error instanceof Error ? error.message : String(error)
  if (/HTTP protocol is not allowed/.test(message)) {
    // The client refuses plain http unless the cluster entry skips TLS verification.
    return new DeployError(
      'ERR_KUBECONFIG',
      `${server} is plain http; the client needs https (or insecure-skip-tls-verify)`,
    )
  }
  return new DeployError('ERR_UNEXPECTED', `${doing} on ${server}: ${message}`)
}

/** The Status object a Kubernetes API error carries in its body (a JSON string here). */
export function statusOf(error: ApiException<unknown>): { message?: string; reason?: string } {
  let body: unknown = error.body
  if (typeof body === 'string') {
    const text = body
    try {
      body = JSON.parse(text)
    } catch {
      // Not a Status (a proxy's HTML error page, say): its start is still the best clue.
      return text ? { message: oneLine(text).slice(0, 300) } : {}
    }
  }
  if (typeof body !== 'object' || body === null) return {}
  const { message, reason } = body as { message?: unknown; reason?: unknown }
  return {
    ...(typeof message === 'string' ? { message } : {}),
    ...(typeof reason === 'string' ? { reason } : {}),
  }
}

const CONNECTION: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  ENOTFOUND: 'the host name does not resolve (DNS)',
  EAI_AGAIN: 'the host name does not resolve (DNS, temporary failure)',
}

/** "connection refused", "… (DNS)", "TLS: …" for a failure below HTTP, or undefined. */
export function networkFailure(error: unknown): string | undefined {
  // undici throws TypeError('fetch failed') with the socket's error as its cause (an
  // AggregateError when several addresses were tried); walk down to the first code.
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const { code, message, cause, errors } = e as {
      code?: unknown
      message?: unknown
      cause?: unknown
      errors?: unknown[]
    }
    if (typeof code === 'string') {
      if (CONNECTION[code]) return `${CONNECTION[code]} (${code})`
      if (/^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/.test(code)) {
        return `TLS failed (${code}): ${tlsReason(typeof message === 'string' ? message : '')}`
      }
    }
    e = cause ?? errors?.[0]
  }
  return undefined
}

/** OpenSSL's messages carry a source path; the words after the last routine name are enough. */
function tlsReason(message: string): string {
  const openssl = /routines:[^:]*:([^:]+)/.exec(message)
  return oneLine(openssl?.[1] ?? message)
}
