const LOCAL = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '']);

/**
 * Whether a host names this machine (a loopback name or address, or a Unix
 * socket directory): a connection to it never crosses a network.
 * @example isLocalHost('127.0.0.1') // true
 * @example isLocalHost('gbr.internal') // false
 */
export function isLocalHost(host: string): boolean {
  return LOCAL.has(host) || host.startsWith('/');
}
