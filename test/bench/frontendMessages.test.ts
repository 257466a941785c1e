import test from 'ava';
import { frontendMessageReader } from '../../bench/frontendMessages.js';

/** A startup message, then a simple Query of `sql`, as a client sends them. */
function stream(sql: string): Buffer {
  const params = Buffer.from('user\0u\0database\0d\0\0');
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + params.length, 0);
  startup.writeInt32BE(196608, 4);
  const text = Buffer.from(`${sql}\0`);
  const query = Buffer.alloc(5);
  query.write('Q', 0);
  query.writeInt32BE(4 + text.length, 1);
  return Buffer.concat([startup, params, query, text]);
}

test('the reader gives the same messages whatever the chunking, a long message split over many chunks included', (t) => {
  const sql = `SELECT '${'x'.repeat(200_000)}'`;
  const bytes = stream(sql);
  const expected = [{ type: 'startup' }, { type: 'Q', sql }];
  t.deepEqual(frontendMessageReader()(bytes), expected, 'whole');
  for (const size of [1, 3, 7, 4096, 65_536]) {
    const read = frontendMessageReader();
    const got = [];
    for (let i = 0; i < bytes.length; i += size) got.push(...read(bytes.subarray(i, i + size)));
    t.deepEqual(got, expected, `chunks of ${size}`);
  }
});
