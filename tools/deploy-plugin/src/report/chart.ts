import { esc } from './html.ts';

/** One line of a chart: a value per x (null: no value there, the line breaks). */
export interface Series {
  name: string;
  values: (number | null)[];
}

/** A time chart: x in ms from the start of what is plotted. */
export interface TimeChart {
  /** Its accessible name and heading. */
  title: string;
  /** What the plot shows, said in words for readers who do not see it. */
  description: string;
  xs: number[];
  xMaxMs: number;
  series: Series[];
  /** How a value reads (`5.0%`, `120 ms`, `up`). */
  format(value: number): string;
  /** The y axis reaches at least this. */
  yMin?: number;
  /** Draw each value until the next one (health, a canary's weight) instead of joining points; the last one for this long. */
  steps?: { holdLastMs: number };
  thresholds?: { value: number; label: string }[];
  /** Shaded spans: a breach that held (`breach`), an alert that was open (`alerting`). */
  regions?: { fromMs: number; toMs: number; label: string; kind: 'breach' | 'alerting' }[];
  /** Vertical lines at a moment: the trigger firing (`fired`), the switch back (`switch`). */
  markers?: { atMs: number; label: string; kind: 'fired' | 'switch' }[];
}

const W = 900;
const H = 220;
const PAD = { left: 56, right: 16, top: 26, bottom: 30 };

/** Pure: a "nice" upper bound and tick step for 0..max (1, 2 or 5 times a power of ten). */
export function niceScale(max: number, ticks = 4): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
  return { top: Number((Math.ceil(max / step - 1e-9) * step).toPrecision(12)), step };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Pure: the SVG path of a series, broken where a value is missing. */
export function seriesPath(
  xs: number[],
  values: (number | null)[],
  x: (ms: number) => number,
  y: (v: number) => number,
  steps?: { holdLastMs: number },
): string {
  let d = '';
  let open = false;
  values.forEach((v, i) => {
    if (v === null || v === undefined) {
      open = false;
      return;
    }
    const px = round1(x(xs[i]!));
    const py = round1(y(v));
    d += open ? (steps ? `H${px}V${py}` : `L${px} ${py}`) : `M${px} ${py}`;
    open = true;
    if (steps && (i === values.length - 1 || values[i + 1] === null)) d += `H${round1(x(xs[i + 1] ?? xs[i]! + steps.holdLastMs))}`;
  });
  return d;
}

/** Pure: the chart as an inline SVG with real text (title, description, axes, labels). */
export function timeChart(c: TimeChart, id: string): string {
  const values = c.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const { top, step } = niceScale(Math.max(c.yMin ?? 0, ...values, ...(c.thresholds ?? []).map((t) => t.value * 1.25)));
  const xMax = Math.max(c.xMaxMs, ...c.xs, 1);
  const x = (ms: number) => PAD.left + (Math.min(Math.max(ms, 0), xMax) / xMax) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [];
  for (const r of c.regions ?? [])
    parts.push(
      `<rect class="${r.kind}" x="${round1(x(r.fromMs))}" y="${PAD.top}" width="${round1(Math.max(x(r.toMs) - x(r.fromMs), 2))}" height="${H - PAD.top - PAD.bottom}"><title>${esc(r.label)}</title></rect>`,
    );
  for (let i = 0; i <= Math.round(top / step); i++) {
    const v = Number((i * step).toPrecision(12));
    parts.push(
      `<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${round1(y(v))}" y2="${round1(y(v))}"/><text x="${PAD.left - 6}" y="${round1(y(v)) + 4}" text-anchor="end">${esc(c.format(v))}</text>`,
    );
  }
  const xStep = niceScale(xMax / 1000, 6).step * 1000;
  for (let i = 0; i * xStep <= xMax + 1e-6; i++)
    parts.push(`<text x="${round1(x(i * xStep))}" y="${H - PAD.bottom + 16}" text-anchor="middle">${esc(axisTime(i * xStep))}</text>`);
  // Labels of neighbouring thresholds alternate ends so they do not overprint each other.
  (c.thresholds ?? []).forEach((t, i) =>
    parts.push(
      `<line class="threshold" x1="${PAD.left}" x2="${W - PAD.right}" y1="${round1(y(t.value))}" y2="${round1(y(t.value))}"><title>${esc(t.label)}</title></line><text x="${i % 2 ? PAD.left + 4 : W - PAD.right}" y="${round1(y(t.value)) - 4}" text-anchor="${i % 2 ? 'start' : 'end'}">${esc(t.label)}</text>`,
    ),
  );
  c.series.forEach((s, i) =>
    parts.push(
      `<path class="series s${i % 2}" data-series="${esc(s.name)}" d="${seriesPath(c.xs, s.values, x, y, c.steps)}"><title>${esc(s.name)}</title></path>`,
    ),
  );
  (c.markers ?? []).forEach((m, i) =>
    parts.push(
      `<line class="marker ${m.kind}" x1="${round1(x(m.atMs))}" x2="${round1(x(m.atMs))}" y1="${PAD.top - 4}" y2="${H - PAD.bottom}"><title>${esc(m.label)}</title></line><text class="${m.kind}" x="${round1(x(m.atMs)) + 4}" y="${PAD.top - 10 + (i % 2) * 12}">${esc(m.label)}</text>`,
    ),
  );
  const legend = c.series.map((s, i) => `<tspan class="s${i % 2}">■</tspan> ${esc(s.name)}`).join('  ');
  return `<svg class="chart" id="${esc(id)}" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${esc(id)}-t ${esc(id)}-d"><title id="${esc(id)}-t">${esc(c.title)}</title><desc id="${esc(id)}-d">${esc(c.description)}</desc><text x="${PAD.left}" y="12">${legend}</text>${parts.join('')}</svg>`;
}

function axisTime(ms: number): string {
  const s = Math.round(ms / 100) / 10;
  if (s < 60 || s % 60) return `${s} s`;
  return `${s / 60} min`;
}
