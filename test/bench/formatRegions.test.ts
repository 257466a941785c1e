import test from 'ava';
import type { RegionFigure, RegionsResult } from '../../bench/benchRegions.js';
import { targetChecks } from '../../bench/formatRegions.js';
import { regionsChart } from '../../bench/regionsChart.js';

const figure = (id: string, regions: number, medianMs: number, roundTrips: number): RegionFigure => ({
  id,
  label: id,
  regions,
  from: id.startsWith('batch-') ? id.split('-')[1]! : 'usa',
  n: 7,
  medianMs,
  roundTrips,
  maxPerRegion: roundTrips,
});

test('the targets are checked on the figures: parallel floor, flatness, the fdw transaction, lookups and batches', (t) => {
  const result: RegionsResult = {
    delayMs: 5,
    servers: [],
    failures: [],
    figures: [
      figure('floor-parallel', 3, 10, 2),
      figure('floor-fdw', 3, 100, 10),
      figure('upsert-new-owner', 3, 25, 6),
      figure('get-remote', 3, 11, 1),
      figure('floor-parallel', 7, 10, 6),
      figure('floor-fdw', 7, 100, 30),
      figure('upsert-new-owner', 7, 31, 14),
      figure('get-remote', 7, 12, 2),
      figure('batch-usa-1000', 3, 500, 7),
      figure('batch-aus-1000', 3, 500, 60),
    ],
  };
  t.deepEqual(
    targetChecks(result).map((c) => [c.target, c.measured, c.met]),
    [
      ['3 regions: a new upsert within 2.5x of the parallel floor', '25.0 ms / 10.0 ms = 2.50x', true],
      ['3 regions: no write or read slower than the hand-written postgres_fdw transaction (100 ms)', 'none slower', true],
      ['3 regions: a lookup owned elsewhere in 1 round trip', '1', true],
      ['7 regions: a new upsert within 2.5x of the parallel floor', '31.0 ms / 10.0 ms = 3.10x', false],
      ['7 regions: no write or read slower than the hand-written postgres_fdw transaction (100 ms)', 'none slower', true],
      ['7 regions: a lookup owned elsewhere in 1 round trip', '2', false],
      ['flat: a new upsert with 7 regions within 1.2x of 3', '31.0 / 25.0 ms = 1.24x', false],
      ['a batch of 1,000 rows called in usa: at most 0.05 round trips per row', '7 round trips, 0.0070 per row', true],
      ['a batch of 1,000 rows called in aus: at most 0.05 round trips per row', '60 round trips, 0.060 per row', false],
    ],
  );
});

test('the chart is a byte-stable SVG document with its series, points and escaped labels', (t) => {
  const series = [
    {
      label: 'today <fdw> & co',
      color: '#c0392b',
      points: [
        { x: 3, y: 120 },
        { x: 7, y: 400 },
      ],
    },
    {
      label: 'floor',
      color: '#1e8449',
      dashed: true,
      points: [
        { x: 3, y: 10 },
        { x: 7, y: 10 },
      ],
    },
  ];
  const svg = regionsChart('t', [3, 5, 7], series);
  t.is(svg, regionsChart('t', [3, 5, 7], series));
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  t.true(svg.endsWith('</svg>\n'));
  t.is(svg.match(/<polyline /g)?.length, 2);
  t.is(svg.match(/<circle /g)?.length, 4);
  t.true(svg.includes('today &lt;fdw&gt; &amp; co'));
  t.false(svg.includes('<fdw>'));
  t.true(svg.includes('stroke-dasharray="6 4"'));
  t.true(svg.includes('>400</text>'), 'the grid reaches the largest value');
});
