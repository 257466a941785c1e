import { BULK_TARGET, type BulkPass, type BulkResult } from './benchBulk.js';
import { median } from './median.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Each round's update time over its insert time, in the order run. */
const roundRatios = (result: BulkResult) => result.rounds.map((r) => r.update.ms / r.insert.ms);

/** The median of the rounds' update / insert ratios (undefined: no round completed). */
export function bulkRatio(result: BulkResult): number | undefined {
  return result.rounds.length === 0 ? undefined : median(roundRatios(result));
}

/** Whether an update / insert ratio meets the target: `met` or `**not met**`. */
export const bulkVerdict = (ratio: number) => (ratio <= BULK_TARGET ? 'met' : '**not met**');

/**
 * The bulk suite's report: inserting N new keys and updating the same N
 * keys, each in calls of upsert_<e>_many, in each round; the medians of the
 * rounds' wall and server CPU times, the median of the rounds' update /
 * insert ratios (each round's ratio listed) and the target.
 */
export function formatBulk(result: BulkResult): string {
  const { rows, rounds } = result;
  if (rounds.length === 0) return `Bulk: no round completed (${result.failure ?? 'no round run'}).\n`;
  const passes = (which: 'insert' | 'update') => rounds.map((r) => r[which]);
  const ms = (list: readonly BulkPass[]) => median(list.map((p) => p.ms));
  const cpuOf = (list: readonly BulkPass[]) =>
    list.every((p) => p.serverCpuS !== undefined) ? median(list.map((p) => p.serverCpuS!)) : undefined;
  const insert = { ms: ms(passes('insert')), serverCpuS: cpuOf(passes('insert')) };
  const update = { ms: ms(passes('update')), serverCpuS: cpuOf(passes('update')) };
  const ratios = roundRatios(result);
  const ratio = median(ratios);
  const cpuRatios = rounds.every((r) => r.insert.serverCpuS && r.update.serverCpuS !== undefined)
    ? rounds.map((r) => r.update.serverCpuS! / r.insert.serverCpuS!)
    : undefined;
  const cpu = (pass: BulkPass) => (pass.serverCpuS === undefined ? '-' : `${pass.serverCpuS.toFixed(1)} s`);
  const calls = Math.ceil(rows / result.batch);
  const rate = (pass: BulkPass) => `${Math.round(rows / (pass.ms / 1000)).toLocaleString('en')} rows/s`;
  const each = rounds.length === 1 ? '' : ` (rounds: ${ratios.map((x) => `${x.toFixed(2)}x`).join(', ')})`;
  return [
    `Bulk: \`upsert_identity_many\` of ${rows.toLocaleString('en')} keys (a third owned by each region) in ${calls === 1 ? 'one call' : `${calls} calls of ${result.batch.toLocaleString('en')}`}, from usa, ${result.delayMs} ms each way between regions; first new keys, then the same keys again (every key exists), ${rounds.length === 1 ? 'once' : `in ${rounds.length} rounds of new keys on emptied tables, medians`}; before each pass every region runs VACUUM ANALYZE and CHECKPOINT, untimed (no pass pays for the one before it). Server CPU: the three servers' backends, from /proc. Load average at the start: ${result.loadBefore}; at the end: ${result.loadAfter}.`,
    '',
    '| | time | server CPU | rate |',
    '| --- | --- | --- | --- |',
    `| insert (new keys) | ${seconds(insert.ms)} | ${cpu(insert)} | ${rate(insert)} |`,
    `| update (the same keys) | ${seconds(update.ms)} | ${cpu(update)} | ${rate(update)} |`,
    `| **update / insert** | **${ratio.toFixed(2)}x**${each} | ${cpuRatios === undefined ? '-' : `${median(cpuRatios).toFixed(2)}x`} | target at most ${BULK_TARGET}x: ${bulkVerdict(ratio)} |`,
    ...(result.failure === undefined ? [] : ['', `**Failed**: ${result.failure} (the rounds above completed; the others were not run).`]),
    '',
  ].join('\n');
}
