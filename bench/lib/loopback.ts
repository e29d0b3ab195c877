/**
 * Node flags that make a child process bind its listeners to 127.0.0.1 when it asks for
 * every interface. The functions listen on all interfaces (what a container wants); a
 * benchmark on a shared machine must not open ports beyond loopback. A data: URL module,
 * so it costs no file read and no TypeScript stripping (which would weigh on a cold start).
 */
const PRELOAD = [
  "import net from 'node:net';",
  'const listen = net.Server.prototype.listen;',
  'net.Server.prototype.listen = function (...args) {',
  "  if (typeof args[0] === 'number' && (args[1] === undefined || typeof args[1] === 'function'))",
  "    args.splice(1, args[1] === undefined ? 1 : 0, '127.0.0.1');",
  '  return listen.apply(this, args);',
  '};',
].join('')

export const LOOPBACK_FLAGS: readonly string[] = ['--import', `data:text/javascript,${PRELOAD}`]
