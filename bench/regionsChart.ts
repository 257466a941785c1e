/** One line of a {@link regionsChart}. */
export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  /** Dashed, for reference lines such as floors. */
  readonly dashed?: boolean;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

const WIDTH = 640;
const HEIGHT = 400;
const LEFT = 64;
const RIGHT = 220;
const TOP = 40;
const BOTTOM = 56;

const escapeXml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** A round step for about five grid lines up to `max`: 1, 2 or 5 times a power of ten. */
function gridStep(max: number): number {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
}

/**
 * A line chart of latency against the number of regions, as a standalone SVG
 * document. Hand-written rather than a charting library: it is one small
 * chart with a fixed layout, the output must be byte-stable for the same
 * figures (reviewable in a diff), and the libraries that render SVG in Node
 * without a browser (vega, d3 with jsdom) are large dependencies for it.
 * Pure.
 */
export function regionsChart(title: string, xs: readonly number[], series: readonly ChartSeries[]): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const maxY = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.y)));
  const step = gridStep(maxY);
  const top = Math.ceil(maxY / step) * step;
  const [minX, maxX] = [Math.min(...xs), Math.max(...xs)];
  const px = (x: number) => LEFT + (maxX === minX ? plotWidth / 2 : ((x - minX) / (maxX - minX)) * plotWidth);
  const py = (y: number) => TOP + plotHeight - (y / top) * plotHeight;
  const f = (n: number) => n.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (let y = 0; y <= top + step / 2; y += step) {
    out.push(
      `<line x1="${LEFT}" y1="${f(py(y))}" x2="${LEFT + plotWidth}" y2="${f(py(y))}" stroke="#e0e0e0"/>`,
      `<text x="${LEFT - 6}" y="${f(py(y) + 4)}" text-anchor="end">${y}</text>`,
    );
  }
  for (const x of xs) {
    out.push(
      `<line x1="${f(px(x))}" y1="${TOP + plotHeight}" x2="${f(px(x))}" y2="${TOP + plotHeight + 5}" stroke="#333333"/>`,
      `<text x="${f(px(x))}" y="${TOP + plotHeight + 20}" text-anchor="middle">${x}</text>`,
    );
  }
  out.push(
    `<line x1="${LEFT}" y1="${TOP + plotHeight}" x2="${LEFT + plotWidth}" y2="${TOP + plotHeight}" stroke="#333333"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + plotHeight}" stroke="#333333"/>`,
    `<text x="${LEFT + plotWidth / 2}" y="${HEIGHT - 14}" text-anchor="middle">regions in the fleet</text>`,
    `<text transform="translate(16 ${TOP + plotHeight / 2}) rotate(-90)" text-anchor="middle">median ms per call</text>`,
  );
  for (const [i, s] of series.entries()) {
    const points = s.points.map((p) => `${f(px(p.x))},${f(py(p.y))}`).join(' ');
    const dash = s.dashed === true ? ' stroke-dasharray="6 4"' : '';
    if (s.points.length > 0) out.push(`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const p of s.points) {
      out.push(
        `<circle cx="${f(px(p.x))}" cy="${f(py(p.y))}" r="3" fill="${s.color}"><title>${escapeXml(`${s.label}: ${p.y.toFixed(1)} ms at ${p.x} regions`)}</title></circle>`,
      );
    }
    const ly = TOP + 10 + i * 22;
    const lx = LEFT + plotWidth + 16;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${escapeXml(s.label)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
