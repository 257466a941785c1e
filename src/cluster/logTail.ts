import { open, stat } from 'node:fs/promises';

/**
 * The last `count` non-empty lines of a server log from byte `from` on (so
 * that earlier runs' lines stay out), for an error message; an empty string
 * when the log cannot be read.
 * @example await logTail('.pg-residency/usa/postgres.log', 10, sizeBeforeStart)
 */
export async function logTail(file: string, count: number, from = 0): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.max(0, size - from);
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(length), 0, length, from);
      const lines = buffer
        .subarray(0, bytesRead)
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== '');
      return lines.slice(-count).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

/** The current size of a log, to pass as `from` to {@link logTail}; 0 when there is none yet. */
export async function logSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}
