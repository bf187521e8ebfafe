// Inline SVG charts for the HTML report: no script, no font or image to fetch, printable. Every data mark is a
// `<rect class="mark" data-value="n">` inside an `<svg class="chart" data-chart="name">`, so a test (or a
// curious reader) can see what each chart holds. Text goes through `esc`.

export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
];

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `09-19 14:05` (UTC), or with the date only for daily buckets. */
export function shortTime(ms: number, bucketMs: number): string {
  const d = new Date(ms);
  const day = `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  return bucketMs >= 86400e3 ? day : `${day} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

/** A round axis maximum at or above `v` (at least 2, so the half-way grid line is a whole count). */
function niceMax(v: number): number {
  if (v <= 2) return 2;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export interface Series {
  readonly label: string;
  readonly values: readonly number[];
}

/** Stacked bars over time, one colour per series, with a legend. */
export function stackedTimeBars(
  name: string,
  title: string,
  buckets: readonly number[],
  bucketMs: number,
  series: readonly Series[],
  unit: string,
): string {
  const W = 900;
  const H = 260;
  const left = 48;
  const right = 8;
  const top = 10;
  const bottom = 36;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const totals = buckets.map((_, i) => series.reduce((n, s) => n + (s.values[i] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const bw = plotW / Math.max(1, buckets.length);
  const parts: string[] = [];
  // grid and y labels
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH - f * plotH;
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(
      `<text x="${left - 6}" y="${y + 4}" class="axis" text-anchor="end">${Math.round(max * f)}</text>`,
    );
  }
  buckets.forEach((b, i) => {
    let y = top + plotH;
    series.forEach((s, si) => {
      const v = s.values[i] ?? 0;
      if (v <= 0) return;
      const h = (v / max) * plotH;
      y -= h;
      parts.push(
        `<rect class="mark" data-value="${v}" x="${(left + i * bw + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(`${s.label}, ${shortTime(b, bucketMs)}: ${v} ${unit}`)}</title></rect>`,
      );
    });
  });
  const ticks = Math.min(6, buckets.length);
  for (let t = 0; t < ticks; t++) {
    const i = Math.round((t * (buckets.length - 1)) / Math.max(1, ticks - 1));
    // The last label ends at the plot's right edge (centred under the last bar it ran past the chart and was cut).
    const last = ticks > 1 && t === ticks - 1;
    const x = last ? left + (i + 1) * bw : left + i * bw + bw / 2;
    parts.push(
      `<text x="${x.toFixed(1)}" y="${H - bottom + 16}" class="axis" text-anchor="${last ? 'end' : 'middle'}">${esc(shortTime(buckets[i]!, bucketMs))}</text>`,
    );
  }
  parts.push(
    `<text x="${W - right}" y="${H - 4}" class="axis" text-anchor="end">UTC, ${esc(bucketLabel(bucketMs))} buckets</text>`,
  );
  const legend = series
    .map(
      (s, si) =>
        `<span class="key"><i style="background:${PALETTE[si % PALETTE.length]}"></i>${esc(s.label)}</span>`,
    )
    .join(' ');
  return (
    `<figure><svg class="chart" data-chart="${esc(name)}" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="100%">` +
    `<title>${esc(title)}</title>${parts.join('')}</svg><figcaption>${legend}</figcaption></figure>`
  );
}

export function bucketLabel(ms: number): string {
  if (ms % 86400e3 === 0) return `${ms / 86400e3}-day`;
  if (ms % 3600e3 === 0) return `${ms / 3600e3}-hour`;
  return `${ms / 60e3}-minute`;
}

/** A small bar chart of one row's values over the shared timeline. */
export function sparkBars(
  name: string,
  label: string,
  values: readonly number[],
  max: number,
  color: string,
): string {
  const W = 180;
  const H = 32;
  const bw = W / Math.max(1, values.length);
  const m = niceMax(max);
  const bars = values
    .map((v, i) => {
      if (v <= 0) return '';
      const h = Math.max(1, (v / m) * (H - 2));
      return `<rect class="mark" data-value="${v}" x="${(i * bw).toFixed(1)}" y="${(H - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"/>`;
    })
    .join('');
  return `<svg class="chart spark" data-chart="${esc(name)}" role="img" aria-label="${esc(label)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}"><title>${esc(label)}</title><line x1="0" x2="${W}" y1="${H - 0.5}" y2="${H - 0.5}" class="grid"/>${bars}</svg>`;
}

export interface BarRow {
  readonly label: string;
  readonly value: number;
  /** Part of the value drawn in the highlight colour (e.g. storm devices among all devices). */
  readonly highlight?: number;
}

/** Horizontal bars with labels, an optional highlighted part per bar. */
export function horizontalBars(
  name: string,
  title: string,
  rows: readonly BarRow[],
  unit: string,
  highlightLabel?: string,
): string {
  const W = 900;
  const rowH = 26;
  const labelW = 260;
  const H = rows.length * rowH + 28;
  const max = niceMax(Math.max(0, ...rows.map((r) => r.value)));
  const plotW = W - labelW - 220;
  const parts = rows.map((r, i) => {
    const y = 4 + i * rowH;
    const w = (r.value / max) * plotW;
    const hw = ((r.highlight ?? 0) / max) * plotW;
    return (
      `<text x="${labelW - 8}" y="${y + 16}" class="label" text-anchor="end">${esc(r.label)}</text>` +
      (r.value > 0
        ? `<rect class="mark" data-value="${r.value}" x="${labelW}" y="${y + 3}" width="${Math.max(1, w).toFixed(1)}" height="${rowH - 8}" fill="${PALETTE[0]}"><title>${esc(`${r.label}: ${r.value} ${unit}`)}</title></rect>`
        : '') +
      (hw > 0
        ? `<rect class="mark highlight" data-value="${r.highlight}" x="${labelW}" y="${y + 3}" width="${Math.max(1, hw).toFixed(1)}" height="${rowH - 8}" fill="${PALETTE[1]}"><title>${esc(`${r.label}: ${r.highlight} ${highlightLabel ?? ''}`)}</title></rect>`
        : '') +
      `<text x="${labelW + Math.max(1, w) + 6}" y="${y + 16}" class="axis">${r.value}${r.highlight ? ` (${r.highlight} ${esc(highlightLabel ?? '')})` : ''}</text>`
    );
  });
  return (
    `<figure><svg class="chart" data-chart="${esc(name)}" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="100%">` +
    `<title>${esc(title)}</title>${parts.join('')}` +
    `<text x="${W - 8}" y="${H - 6}" class="axis" text-anchor="end">${esc(unit)}</text></svg>` +
    (highlightLabel
      ? `<figcaption><span class="key"><i style="background:${PALETTE[0]}"></i>all</span> <span class="key"><i style="background:${PALETTE[1]}"></i>${esc(highlightLabel)}</span></figcaption>`
      : '') +
    `</figure>`
  );
}
