import type { TextSink } from './context.js';

/** A stream the binary writes to: process.stdout or process.stderr. */
interface WritableStream {
  write(text: string): unknown;
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
}

/**
 * The stream as a sink that goes quiet when its reader is gone
 * (`pg-residency migrate up --all --dry-run | head`): an EPIPE drops the rest
 * of the output instead of crashing with a stack trace, and the command
 * finishes with its own exit code. Any other write error is thrown as before.
 */
export function quietOnBrokenPipe(stream: WritableStream): TextSink {
  let broken = false;
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') broken = true;
    else throw error;
  });
  return {
    write: (text: string) => {
      if (broken) return true;
      try {
        return stream.write(text);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
        broken = true;
        return true;
      }
    },
  };
}
