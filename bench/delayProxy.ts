import { createConnection, createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { burstLabel, frontendMessageReader, type FrontendMessage } from './frontendMessages.js';

/** What a {@link DelayProxy} has seen since it started (or since the last snapshot you diff against). */
export interface ProxyCounters {
  /** Connections accepted: each is one new postgres_fdw connection. */
  readonly connections: number;
  /**
   * Client request bursts: data from the client after the server last spoke
   * (or first data of a connection). postgres_fdw waits for every answer, so
   * each burst is one network round trip.
   */
  readonly roundTrips: number;
  readonly bytesToServer: number;
  readonly bytesToClient: number;
}

export interface DelayProxy {
  /** Where the proxy listens on 127.0.0.1. */
  readonly port: number;
  counters(): ProxyCounters;
  /**
   * One line per round trip (see {@link burstLabel}), from round trip number
   * `from` (a `roundTrips` value read earlier) on, across all connections.
   */
  trace(from: number): string[];
  /** As {@link trace}, each round trip with the time it left the client (performance.now(), ms). */
  timedTrace(from: number): { readonly atMs: number; readonly label: string }[];
  /** Stops listening and cuts every open connection. */
  close(): Promise<void>;
}

export interface DelayProxyOptions {
  readonly targetHost: string;
  readonly targetPort: number;
  /** One-way delay added to every chunk, in each direction; a round trip gains twice this. */
  readonly delayMs: number;
}

/** Timers may fire a fraction of a millisecond before performance.now() agrees. */
const EARLY_TOLERANCE_MS = 0.5;

/**
 * Forwards `from` to `to`, each chunk `delayMs` after it arrived, in arrival
 * order; the end of `from` is forwarded after the last chunk. Returns a
 * function that drops whatever is still queued.
 */
function delayedPipe(from: Socket, to: Socket, delayMs: number, onChunk: (chunk: Buffer) => void): () => void {
  const queue: { due: number; chunk: Buffer | undefined }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due - now <= EARLY_TOLERANCE_MS) {
      const { chunk } = queue.shift()!;
      if (to.destroyed) continue;
      if (chunk === undefined) to.end();
      else to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(flush, queue[0]!.due - now);
  };
  const enqueue = (chunk: Buffer | undefined): void => {
    queue.push({ due: performance.now() + delayMs, chunk });
    timer ??= setTimeout(flush, delayMs);
  };
  from.on('data', (chunk: Buffer) => {
    onChunk(chunk);
    enqueue(chunk);
  });
  from.on('end', () => enqueue(undefined));
  return () => {
    clearTimeout(timer);
    queue.length = 0;
  };
}

/**
 * A userspace TCP proxy on 127.0.0.1 that delays each direction by a fixed
 * amount and counts connections and round trips. Put one in front of each
 * region's server and point the other regions' postgres_fdw servers at it to
 * make cross-region traffic pay a WAN-like latency.
 * @example const proxy = await startDelayProxy({ targetHost: '127.0.0.1', targetPort: 54311, delayMs: 5 });
 */
export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  let connections = 0;
  let roundTrips = 0;
  let bytesToServer = 0;
  let bytesToClient = 0;
  const open = new Set<Socket>();
  // The messages of every request burst, in arrival order: bursts[i] is round trip i.
  const bursts: FrontendMessage[][] = [];
  const burstTimes: number[] = [];

  const server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    connections += 1;
    const upstream = createConnection({ host: options.targetHost, port: options.targetPort, noDelay: true, allowHalfOpen: true });
    open.add(client);
    open.add(upstream);
    let lastSpoke: 'client' | 'server' | undefined;
    let burst: FrontendMessage[] = [];
    const read = frontendMessageReader();
    const stopUp = delayedPipe(client, upstream, options.delayMs, (chunk) => {
      bytesToServer += chunk.length;
      if (lastSpoke !== 'client') {
        roundTrips += 1;
        burst = [];
        bursts.push(burst);
        burstTimes.push(performance.now());
      }
      lastSpoke = 'client';
      burst.push(...read(chunk));
    });
    const stopDown = delayedPipe(upstream, client, options.delayMs, (chunk) => {
      bytesToClient += chunk.length;
      lastSpoke = 'server';
    });
    const teardown = (): void => {
      stopUp();
      stopDown();
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    // An error on either side ends the pair; a clean end travels through the
    // queue, after the data before it (both sockets allow half-open for that).
    client.on('error', teardown);
    upstream.on('error', teardown);
    client.on('close', () => open.delete(client));
    upstream.on('close', () => open.delete(upstream));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    port,
    counters: () => ({ connections, roundTrips, bytesToServer, bytesToClient }),
    trace: (from) => bursts.slice(from).map(burstLabel),
    timedTrace: (from) => bursts.slice(from).map((b, i) => ({ atMs: burstTimes[from + i]!, label: burstLabel(b) })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        open.clear();
        server.close(() => resolve());
      }),
  };
}
