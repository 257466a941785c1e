import type { Argv } from 'yargs';
import { checkRegionSelection } from './regionSelection.js';

/** `--json`: every command but the demo has it. */
export function jsonOption<T>(y: Argv<T>) {
  return y.option('json', {
    type: 'boolean',
    default: false,
    describe: 'print the result as one JSON document on stdout (shapes in docs/reference/commands.md); errors stay on stderr',
  });
}

/** `--region NAME ... | --all`: exactly one, checked before anything runs (checkRegionSelection). */
export function regionOptions<T>(y: Argv<T>) {
  return y
    .option('region', { type: 'string', array: true, default: [] as string[], describe: 'a region from regions.yaml (repeatable)' })
    .option('all', { type: 'boolean', default: false, describe: 'every region' })
    .check(checkRegionSelection);
}

/** The options every command gets from the global ones. */
export interface GlobalArgs {
  readonly config: string;
  readonly 'state-dir': string;
}
