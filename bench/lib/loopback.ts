/**
 * Node flags that make a child process bind its listeners to 127.0.0.1 when it asks for
 * every interface. The functions listen on all interfaces (what a container wants); a
 * benchmark on a shared machine must not open ports beyond loopback. A data: URL module,
 * so it costs no file read and no TypeScript stripping (which would weigh on a cold start).
 *
 * It binds the listening handle itself rather than passing '127.0.0.1' to listen():
 * Node looks a host up even when it is an address (the dns module, then an IPv6 check
 * whose first use compiles a large regular expression), ~4 ms of a cold start that a
 * function listening on every interface, as in production, never spends.
 * `process.binding('tcp_wrap')` is deprecated in documentation only; this is bench code.
 */
const PRELOAD = [
  "import net from 'node:net';",
  'const listen = net.Server.prototype.listen;',
  'net.Server.prototype.listen = function (...args) {',
  "  if (typeof args[0] !== 'number' || (args[1] !== undefined && typeof args[1] !== 'function'))",
  '    return listen.apply(this, args);',
  "  const { TCP, constants } = process.binding('tcp_wrap');",
  '  const handle = new TCP(constants.SERVER);',
  "  const code = handle.bind('127.0.0.1', args[0]);",
  "  if (code !== 0) throw new Error('cannot bind 127.0.0.1:' + args[0] + ' (' + code + ')');",
  '  return listen.call(this, handle, ...args.slice(1).filter((arg) => arg !== undefined));',
  '};',
].join('')

export const LOOPBACK_FLAGS: readonly string[] = ['--import', `data:text/javascript,${PRELOAD}`]
