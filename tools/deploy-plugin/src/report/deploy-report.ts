import { describeOutcome } from '../core/rollback.ts';
import type { LoadTestRecord } from '../core/load-measurement.ts';
import type { LedgerRecord } from '../store/state-store.ts';
import { timeChart } from './chart.ts';
import { esc, page, span, status, table, when } from './html.ts';
import { watchSection } from './watch-charts.ts';

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : NaN);

/**
 * Pure: one deploy as a page: what ran, by whom, how it ended; its steps on a timeline; each
 * verification window and canary step plotted against its triggers; the canary's weights; the
 * load test against its budget; the alerts sent. Everything comes from the ledger record.
 */
export function renderDeployReport(r: LedgerRecord): string {
  const title = `${r.kind} ${r.project} ${r.version} to ${r.env}: ${r.status.replace('_', ' ')}`;
  const body = [
    `<header><p class="muted">nx-deploy report · ${esc(r.id)}</p><h1>${esc(r.kind)} ${esc(r.project)} ${esc(r.version)} to ${esc(r.env)}: ${status(r.status)}</h1></header>`,
    facts(r),
    stepsSection(r),
    ...(r.watches ?? []).map((w, i) => {
      const switchAt = w.fired && r.rollback?.finishedAt ? ms(r.rollback.finishedAt) - ms(w.startedAt) : undefined;
      return `<section><h2>${esc(w.what[0]!.toUpperCase() + w.what.slice(1))}: every ${span(w.intervalMs)} for ${span(w.windowMs)} from ${esc(when(w.startedAt))}</h2>${watchSection(w, { switchMs: Number.isFinite(switchAt) ? switchAt : undefined }, `w${i}`)}</section>`;
    }),
    canarySection(r),
    r.loadtest ? loadSection(r.loadtest) : '',
    alertsSection(r),
  ];
  return page(title, body.filter(Boolean).join('\n'));
}

function facts(r: LedgerRecord): string {
  const rows: [string, string][] = [
    ['commit', `<code>${esc(r.gitSha)}</code>`],
    ['actor', esc(r.actor)],
    ...(r.approver ? [['approved by', esc(r.approver)] as [string, string]] : []),
    ['started', esc(when(r.startedAt))],
    ...(r.finishedAt ? [['finished', `${esc(when(r.finishedAt))} (${span(ms(r.finishedAt) - ms(r.startedAt))})`] as [string, string]] : []),
    ...(r.url ? [['url', `<a href="${esc(r.url)}">${esc(r.url)}</a>`] as [string, string]] : []),
    ...(r.image ? [['image', `<code>${esc(r.image)}</code>`] as [string, string]] : []),
    ...(r.artifact ? [['artifact', `<code>${esc(r.artifact)}</code>`] as [string, string]] : []),
    ...(r.rollback ? [['rollback', `<span class="${esc(r.rollback.outcome)}">${esc(describeOutcome(r.rollback))}</span>`] as [string, string]] : []),
    ...(r.servers ?? []).map((s): [string, string] => [esc(s.server), `${esc(s.state)}, serves ${esc(s.serves)}`]),
  ];
  const reason = r.reason ? `<h3>Why it ended so</h3><pre>${esc(r.reason)}</pre>` : '';
  return `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>${reason}`;
}

/** The steps on one time axis: where each began (from its record, or after the one before) and how long it took. */
function stepsSection(r: LedgerRecord): string {
  const steps = r.steps ?? [];
  if (!steps.length) return '';
  const t0 = ms(r.startedAt);
  let cursor = 0;
  const placed = steps.map((s) => {
    const from = s.startedAt ? ms(s.startedAt) - t0 : cursor;
    cursor = from + s.durationMs;
    return { s, from };
  });
  const total = Math.max(cursor, ...placed.map((p) => p.from + p.s.durationMs), r.finishedAt ? ms(r.finishedAt) - t0 : 0, 1);
  const pct = (n: number) => `${((Math.max(n, 0) / total) * 100).toFixed(2)}%`;
  const rows = placed.map(({ s, from }) => [
    esc(s.name),
    status(s.status),
    s.status === 'skipped' ? '' : `+${span(from)}`,
    span(s.durationMs),
    s.status === 'skipped'
      ? ''
      : `<span class="bars" aria-hidden="true"><span class="${s.status}" style="left:${pct(from)};width:max(2px,${pct(s.durationMs)})"></span></span>`,
    esc(s.url ?? s.detail ?? ''),
  ]);
  return `<section><h2>Steps</h2>${table(['step', 'result', 'began', 'took', 'timeline', 'url / what it did'], rows, 'the steps of the deploy')}</section>`;
}

/** The canary's share of requests over time: each step's weight from when it was switched, back to 0 on a breach. */
function canarySection(r: LedgerRecord): string {
  const steps = r.canary ?? [];
  if (!steps.length) return '';
  const rows = steps.map((s, i) => [String(i + 1), `${s.weight}%`, esc(s.pause), esc(when(s.startedAt)), status(s.verdict), esc(s.detail ?? '')]);
  const t0 = ms(steps[0]!.startedAt);
  let chart = '';
  if (Number.isFinite(t0) && steps.every((s) => s.startedAt)) {
    const xs = steps.map((s) => ms(s.startedAt) - t0);
    const values: number[] = steps.map((s) => s.weight);
    const breached = steps.at(-1)!.verdict === 'breached';
    const cutover = r.steps?.find((s) => s.name === 'cutover');
    const end = breached ? ms(r.rollback?.finishedAt) - t0 : cutover?.startedAt ? ms(cutover.startedAt) + cutover.durationMs - t0 : NaN;
    if (Number.isFinite(end)) {
      xs.push(end);
      values.push(breached ? 0 : 100);
    }
    chart = `<figure>${timeChart(
      {
        title: 'share of requests sent to the new version',
        description: `canary weights ${values.map((v, i) => `${v}% at ${span(xs[i]!)}`).join(', ')}${breached ? '; breached: every request went back to the previous version' : '; then every request'}.`,
        xs,
        xMaxMs: Math.max(...xs) * 1.05,
        series: [{ name: 'weight', values }],
        format: (v) => `${v}%`,
        yMin: 100,
        steps: { holdLastMs: Math.max(...xs) * 0.05 },
      },
      'canary',
    )}</figure>`;
  }
  return `<section><h2>Canary</h2>${chart}${table(['step', 'weight', 'watched', 'from', 'verdict', 'trigger'], rows, 'canary steps')}</section>`;
}

function loadSection(l: LoadTestRecord): string {
  const b = l.budget ?? {};
  const row = (name: string, value: number, show: (v: number) => string, limit?: number, atLeast = false) => {
    const ok = limit === undefined ? undefined : atLeast ? value >= limit : value <= limit;
    const width = limit ? Math.min(100, (value / Math.max(value, limit)) * 100) : 100;
    return [
      esc(name),
      show(value),
      limit === undefined ? '–' : `${atLeast ? 'at least' : 'at most'} ${show(limit)}`,
      ok === undefined ? '' : ok ? '<span class="passed">within</span>' : '<span class="failed">missed</span>',
      `<span class="bars" aria-hidden="true"><span class="${ok === false ? 'failed' : ''}" style="left:0;width:${width.toFixed(1)}%"></span></span>`,
    ];
  };
  const rows = [
    row('p50', l.p50Ms, (v) => `${v} ms`),
    row('p95', l.p95Ms, (v) => `${v} ms`, b.p95Ms),
    row('p99', l.p99Ms, (v) => `${v} ms`, b.p99Ms),
    row('max', l.maxMs, (v) => `${v} ms`),
    row('error rate', l.errorRate, (v) => `${(v * 100).toFixed(2)}%`, b.maxErrorRate),
    row('throughput', l.rps, (v) => `${v} req/s`, b.minRps, true),
  ];
  return `<section><h2>Load test: ${status(l.passed ? 'passed' : 'failed')}</h2><p>${l.requests} requests over ${l.durationS} s on ${l.connections} connections to <code>${esc(l.url)}</code></p>${table(['measure', 'measured', 'budget', '', ''], rows, 'load test against its budget')}</section>`;
}

function alertsSection(r: LedgerRecord): string {
  const during = (r.watches ?? []).flatMap((w) =>
    (w.alerts ?? []).map((a) => `${w.what} at ${span(a.atMs)}: ${a.action === 'trigger' ? 'raised' : 'resolved'} ${a.condition}`),
  );
  const lines = [...during, ...(r.alerts ?? []).map((a) => `when it ended: ${a}`)];
  if (!lines.length) return '';
  return `<section><h2>Alerts</h2><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul></section>`;
}
