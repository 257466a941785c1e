import { BULK_TARGET, type BulkPass, type BulkResult } from './benchBulk.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const cpu = (pass: BulkPass) => (pass.serverCpuS === undefined ? '-' : `${pass.serverCpuS.toFixed(1)} s`);

/**
 * The bulk suite's report: inserting N new keys and updating the same N
 * keys, each in calls of upsert_<e>_many, the wall and server CPU times, the
 * updates' ratio to the inserts and the target.
 */
export function formatBulk(result: BulkResult): string {
  const { rows, insert, update } = result;
  const ratio = update.ms / insert.ms;
  const cpuRatio =
    insert.serverCpuS === undefined || update.serverCpuS === undefined || insert.serverCpuS === 0
      ? '-'
      : `${(update.serverCpuS / insert.serverCpuS).toFixed(2)}x`;
  const calls = Math.ceil(rows / result.batch);
  const rate = (pass: BulkPass) => `${Math.round(rows / (pass.ms / 1000)).toLocaleString('en')} rows/s`;
  return [
    `Bulk: \`upsert_identity_many\` of ${rows.toLocaleString('en')} keys (a third owned by each region) in ${calls === 1 ? 'one call' : `${calls} calls of ${result.batch.toLocaleString('en')}`}, from usa, ${result.delayMs} ms each way between regions; first new keys, then the same keys again (every key exists). Server CPU: the three servers' backends, from /proc. Load average at the start: ${result.loadBefore}; at the end: ${result.loadAfter}.`,
    '',
    '| | time | server CPU | rate |',
    '| --- | --- | --- | --- |',
    `| insert (new keys) | ${seconds(insert.ms)} | ${cpu(insert)} | ${rate(insert)} |`,
    `| update (the same keys) | ${seconds(update.ms)} | ${cpu(update)} | ${rate(update)} |`,
    `| **update / insert** | **${ratio.toFixed(2)}x** | ${cpuRatio} | target at most ${BULK_TARGET}x: ${ratio <= BULK_TARGET ? 'met' : '**not met**'} |`,
    '',
  ].join('\n');
}
