import type { ChangeOp } from './changeOp.js';

/** A change gen-migrations cannot make: it only refuses, with the way to make it instead. */
export function unsupported(kind: string, message: string): ChangeOp {
  return { kind, summary: message, wave: 'local', destroys: [], validate: () => [message], render: () => [] };
}
