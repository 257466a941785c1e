import { createServer } from 'node:net';

/** Below the kernel's ephemeral range (32768-60999 on Linux), which outgoing connections draw from. */
const LOW = 20_000;
const HIGH = 32_000;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The ports this process handed out: never twice. */
const handedOut = new Set<number>();

/**
 * A TCP port on 127.0.0.1 that nobody listens on right now, picked at random
 * below the ephemeral range, and never one this process handed out already: a port the kernel hands out (`listen(0)`) is also
 * what a client connection of a parallel test may take as its source port
 * before the server that was given it binds (seen in CI: "Address already in use").
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    // a port handed out before may not be bound yet by the server it went to
    // (seen in the bench: two regions of one fleet given the same port)
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} after 200 tries`);
}
