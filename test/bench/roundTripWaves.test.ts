import test from 'ava';
import { roundTripWaves } from '../../bench/roundTripWaves.js';

test('requests sent together are one round trip, requests sent after an answer another', (t) => {
  t.is(roundTripWaves([], 5), 0);
  t.is(roundTripWaves([0.4], 5), 1);
  // postgres_fdw on 18, partitionwise GROUP BY over two other regions: START and
  // DECLARE one server after the other, the FETCHes overlapping, CLOSE one after
  // the other, the COMMITs in parallel
  t.is(roundTripWaves([0.4, 12.9, 24.0, 34.9, 35.0, 49.6, 109.9, 121.2, 135.8, 135.9], 5), 8);
  // order of arrival does not matter
  t.is(roundTripWaves([11, 0, 0.2, 22.1, 22], 5), 3);
});
