import { createServer } from 'node:net';

/**
 * Whether a server could listen on `host:port` now: `free`; `in-use` when
 * another socket listens there; `not-local` when `host` is not an address of
 * this machine. Checked by listening for a moment, which is what the server
 * will do.
 * @example await portAvailability('127.0.0.1', 54310) // 'free'
 */
export function portAvailability(host: string, port: number): Promise<'free' | 'in-use' | 'not-local'> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve('in-use');
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') resolve('not-local');
      else reject(error);
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve('free')));
  });
}
