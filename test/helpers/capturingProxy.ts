import { createConnection, createServer, type Socket } from 'node:net';

/** A TCP proxy on 127.0.0.1 that keeps every byte it forwards, both ways. */
export interface CapturingProxy {
  readonly port: number;
  /** Everything forwarded so far, in both directions, in arrival order. */
  captured(): Buffer;
  close(): Promise<void>;
}

/**
 * Forwards each connection to `targetPort` and records the bytes, as a wire
 * tap between two regions would see them (a plain copy of
 * src/bench/delayProxy.ts without the delay).
 */
export async function startCapturingProxy(targetPort: number): Promise<CapturingProxy> {
  const chunks: Buffer[] = [];
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      open.add(from);
      from.on('data', (chunk: Buffer) => {
        chunks.push(Buffer.from(chunk));
        to.write(chunk);
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => open.delete(from));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    captured: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
