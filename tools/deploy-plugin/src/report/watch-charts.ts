import type { SampledTarget, WatchRecord, WatchedTrigger } from '../core/watch-record.ts';
import { timeChart, type TimeChart } from './chart.ts';
import { esc, span, table } from './html.ts';

const percent = (v: number) => `${(v * 100).toFixed(v && v < 0.1 ? 1 : 0)}%`;
const millis = (v: number) => `${Math.round(v)} ms`;
const upDown = (v: number) => (v === 1 ? 'up' : v === 0 ? 'down' : '');

/** Pure: each interval's 5xx share, null where nothing was counted. */
export function errorRates(t: SampledTarget): (number | null)[] {
  return (t.requests ?? []).map((n, i) => (n ? (t.errors![i] ?? 0) / n : null));
}

/** Pure: when each alert raised while watching was open (until resolved, else to the end of the watch). */
export function alertSpans(w: WatchRecord, endMs: number): { condition: string; fromMs: number; toMs: number }[] {
  const spans: { condition: string; fromMs: number; toMs: number }[] = [];
  for (const a of w.alerts ?? []) {
    if (a.action === 'trigger') spans.push({ condition: a.condition, fromMs: a.atMs, toMs: endMs });
    else {
      const open = spans.findLast((s) => s.condition === a.condition && s.toMs === endMs);
      if (open) open.toMs = a.atMs;
    }
  }
  return spans;
}

interface Moments {
  /** When the deploy switched back to the previous version, ms after the watch began. */
  switchMs?: number;
}

/**
 * Pure: one watch (verification, a canary step) as charts per target: the error rate and the
 * latency quantiles against their triggers' thresholds, health and readiness; the breach that
 * fired shaded from where it began to where it fired, open alerts shaded, the switch back marked.
 */
export function watchSection(w: WatchRecord, moments: Moments, idPrefix: string): string {
  const endMs = Math.max(w.windowMs, w.fired?.atMs ?? 0, moments.switchMs ?? 0);
  const firedTrigger = w.fired && w.triggers.find((t) => t.label === w.fired!.label);
  const spansOpen = alertSpans(w, Math.max(...w.targets.map((t) => t.at.at(-1) ?? 0)));
  const parts = [triggerTable(w)];
  w.targets.forEach((t, ti) => {
    const prefix = t.server ? `${t.server}: ` : '';
    const firedHere = w.fired && w.fired.server === t.server ? w.fired : undefined;
    const markers: NonNullable<TimeChart['markers']> = [];
    if (firedHere) markers.push({ atMs: firedHere.atMs, label: `fired at ${span(firedHere.atMs)}`, kind: 'fired' });
    if (w.fired && moments.switchMs !== undefined)
      markers.push({ atMs: moments.switchMs, label: `switched back at ${span(moments.switchMs)}`, kind: 'switch' });
    const regionsOf = (metrics: WatchedTrigger['metric'][]): NonNullable<TimeChart['regions']> => [
      ...(firedHere && firedTrigger && metrics.includes(firedTrigger.metric)
        ? [
            {
              fromMs: firedHere.fromMs,
              toMs: firedHere.atMs,
              label: `${firedHere.label}: breached from ${span(firedHere.fromMs)}`,
              kind: 'breach' as const,
            },
          ]
        : []),
      ...spansOpen
        .filter((s) => w.triggers.some((tr) => metrics.includes(tr.metric) && `${prefix}${tr.label}` === s.condition))
        .map((s) => ({ ...s, label: `alert open: ${s.condition}`, kind: 'alerting' as const })),
    ];
    const thresholds = (metrics: WatchedTrigger['metric'][], format: (v: number) => string) =>
      w.triggers
        .filter((tr) => metrics.includes(tr.metric) && tr.threshold !== undefined)
        .map((tr) => ({ value: tr.threshold!, label: `${tr.label} (${tr.action}, ${format(tr.threshold!)})` }));
    const base = { xs: t.at, xMaxMs: endMs, markers };
    const id = `${idPrefix}-t${ti}`;
    const charts: TimeChart[] = [];
    if (t.requests) {
      const rates = errorRates(t);
      charts.push({
        ...base,
        title: `${prefix}error rate (5xx share of requests per ${span(w.intervalMs)})`,
        description: describe(
          'error rate',
          rates,
          t.at,
          percent,
          thresholds(['errorRate'], percent),
          firedHere,
          firedTrigger?.metric === 'errorRate',
          moments.switchMs,
        ),
        series: [{ name: 'error rate', values: rates }],
        format: percent,
        thresholds: thresholds(['errorRate'], percent),
        regions: regionsOf(['errorRate']),
      });
      charts.push({
        ...base,
        title: `${prefix}request duration p95 and p99`,
        description: describe(
          'p95',
          t.p95 ?? [],
          t.at,
          millis,
          thresholds(['latencyP95', 'latencyP99'], millis),
          firedHere,
          firedTrigger?.metric.startsWith('latency') ?? false,
          moments.switchMs,
        ),
        series: [
          { name: 'p95', values: t.p95 ?? [] },
          { name: 'p99', values: t.p99 ?? [] },
        ],
        format: millis,
        thresholds: thresholds(['latencyP95', 'latencyP99'], millis),
        regions: regionsOf(['latencyP95', 'latencyP99']),
      });
    }
    charts.push({
      ...base,
      title: `${prefix}health${t.ready ? ' and readiness' : ''}`,
      description: describe(
        'health',
        t.health,
        t.at,
        upDown,
        [],
        firedHere,
        firedTrigger?.metric === 'health' || firedTrigger?.metric === 'ready',
        moments.switchMs,
      ),
      series: [{ name: 'health', values: t.health }, ...(t.ready ? [{ name: 'ready', values: t.ready }] : [])],
      format: upDown,
      yMin: 1,
      steps: { holdLastMs: w.intervalMs },
      regions: regionsOf(['health', 'ready']),
    });
    if (t.server) parts.push(`<h4>${esc(t.server)}</h4>`);
    charts.forEach((c, ci) => parts.push(`<figure>${timeChart(c, `${id}-c${ci}`)}</figure>`));
    parts.push(samplesTable(t));
  });
  return parts.join('\n');
}

function triggerTable(w: WatchRecord): string {
  const outcome = (tr: WatchedTrigger) => {
    if (w.fired?.label === tr.label)
      return `<span class="failed">fired at ${span(w.fired.atMs)}${w.fired.server ? ` on ${esc(w.fired.server)}` : ''}</span>`;
    const conditions = new Set(w.targets.map((t) => `${t.server ? `${t.server}: ` : ''}${tr.label}`));
    const raised = (w.alerts ?? []).filter((a) => a.action === 'trigger' && conditions.has(a.condition));
    return raised.length ? `<span class="rolled_back">alerted at ${raised.map((a) => span(a.atMs)).join(', ')}</span>` : 'not sustained';
  };
  return table(
    ['trigger', 'action', 'for', 'outcome'],
    w.triggers.map((tr) => [esc(tr.label), esc(tr.action), span(tr.forMs), outcome(tr)]),
    `the triggers of ${w.what}`,
  );
}

/** Pure: the chart said in words: its peak, thresholds, the breach and the switch. */
function describe(
  name: string,
  values: (number | null)[],
  at: number[],
  format: (v: number) => string,
  thresholds: { label: string }[],
  fired: WatchRecord['fired'],
  breachShown: boolean,
  switchMs: number | undefined,
): string {
  let peak: number | undefined;
  values.forEach((v, i) => {
    if (v !== null && (peak === undefined || v > values[peak]!)) peak = i;
  });
  const words = [`${values.length} samples of ${name}`];
  if (peak !== undefined) words.push(`highest ${format(values[peak]!) || values[peak]} at ${span(at[peak]!)}`);
  if (thresholds.length) words.push(`thresholds: ${thresholds.map((t) => t.label).join('; ')}`);
  if (fired && breachShown) words.push(`${fired.label} breached from ${span(fired.fromMs)} and fired at ${span(fired.atMs)}`);
  else if (fired) words.push(`${fired.label} fired at ${span(fired.atMs)}`);
  if (switchMs !== undefined) words.push(`switched back to the previous version at ${span(switchMs)}`);
  return `${words.join('; ')}.`;
}

function samplesTable(t: SampledTarget): string {
  const cell = (v: number | null | undefined, f: (v: number) => string) => (v === null || v === undefined ? '–' : f(v));
  const rates = errorRates(t);
  const head = ['at', 'health', ...(t.ready ? ['ready'] : []), ...(t.requests ? ['requests', '5xx', 'error rate', 'p95', 'p99'] : [])];
  const rows = t.at.map((ms, i) => [
    span(ms),
    cell(t.health[i], upDown),
    ...(t.ready ? [cell(t.ready[i], upDown)] : []),
    ...(t.requests
      ? [cell(t.requests[i], String), cell(t.errors![i], String), cell(rates[i], percent), cell(t.p95![i], millis), cell(t.p99![i], millis)]
      : []),
  ]);
  return `<details><summary>the ${t.at.length} samples${t.server ? ` of ${esc(t.server)}` : ''}</summary>${table(head, rows)}</details>`;
}
