import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { longWatch, manyDeploys } from './report-data.ts';
import { niceScale, seriesPath } from '../src/report/chart.ts';
import { renderDeployReport } from '../src/report/deploy-report.ts';
import { servingNow } from '../src/report/serving.ts';
import { renderStatusPage, type EnvironmentStatus } from '../src/report/status-page.ts';
import { alertSpans, errorRates } from '../src/report/watch-charts.ts';
import { columnsFor, recordRound, type SampleTarget } from '../src/step-kit/verify-sample.ts';
import type { LedgerRecord } from '../src/store/state-store.ts';

/** A real record: the verify e2e's deploy, rolled back by `errorRate > 0.05 for 3s`. */
const rolledBack = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../test/fixtures/report/rolled-back-record.json'), 'utf8'),
) as LedgerRecord;

const record = (over: Partial<LedgerRecord>): LedgerRecord => ({
  id: 'id',
  project: 'api',
  env: 'staging',
  kind: 'deploy',
  version: '1.0.0',
  gitSha: 'a'.repeat(40),
  status: 'succeeded',
  actor: 'ci',
  startedAt: '2026-12-01T10:00:00.000Z',
  finishedAt: '2026-12-01T10:01:00.000Z',
  ...over,
});

const environment = (records: LedgerRecord[]): EnvironmentStatus => ({
  name: 'staging',
  where: 's3://b/p/',
  records,
  damagedLines: 0,
  pins: {},
  sites: {},
});

describe('charts', () => {
  it('scale the y axis to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceScale(0.5)).toEqual({ top: 0.6, step: 0.2 });
    expect(niceScale(60)).toEqual({ top: 60, step: 20 });
    expect(niceScale(1)).toEqual({ top: 1, step: 0.25 });
    expect(niceScale(0)).toEqual({ top: 1, step: 0.25 });
  });

  it('break a line where a sample has no value, and hold a step chart’s last value for its hold', () => {
    const x = (ms: number) => ms / 10;
    const y = (v: number) => 100 - v;
    expect(seriesPath([0, 1000, 2000, 3000], [null, 10, null, 20], x, y)).toBe('M100 90M300 80');
    expect(seriesPath([0, 1000, 2000], [1, 2, 3], x, y)).toBe('M0 99L100 98L200 97');
    expect(seriesPath([0, 1000], [1, 0], x, y, { holdLastMs: 1000 })).toBe('M0 99H100V100H200');
  });
});

describe('what a record says', () => {
  it('error rates: 5xx over requests, none where nothing was counted', () => {
    expect(errorRates({ at: [0, 1, 2], health: [1, 1, 1], requests: [null, 0, 40], errors: [null, 0, 10] })).toEqual([null, null, 0.25]);
  });

  it('alert spans: from raised to resolved, else to the end', () => {
    const w = rolledBack.watches![0]!;
    expect(
      alertSpans(
        {
          ...w,
          alerts: [
            { atMs: 1000, condition: 'a', action: 'trigger' },
            { atMs: 3000, condition: 'a', action: 'resolve' },
            { atMs: 5000, condition: 'a', action: 'trigger' },
          ],
        },
        8000,
      ),
    ).toEqual([
      { condition: 'a', fromMs: 1000, toMs: 3000 },
      { condition: 'a', fromMs: 5000, toMs: 8000 },
    ]);
  });

  it('what serves: the newest deploy or rollback that succeeded, past rolled-back and failed-before-change ones', () => {
    const v1 = record({ version: '1.0.0' });
    const rolled = record({ version: '1.1.0', status: 'rolled_back', rollback: { outcome: 'restored', serving: '1.0.0', detail: '' } });
    const early = record({ version: '1.2.0', status: 'failed' });
    const smoke = record({ version: '9.9.9', kind: 'smoke' });
    expect(servingNow([v1, rolled, early, smoke])).toMatchObject({ state: 'serving', version: '1.0.0' });
    expect(
      servingNow([v1, record({ version: '1.1.0', status: 'failed', rollback: { outcome: 'restore-failed', detail: 'manual action needed: x' } })]),
    ).toMatchObject({ state: 'unknown' });
    expect(servingNow([record({ status: 'failed', rollback: { outcome: 'nothing-to-restore', detail: 'no previous version' } })])).toMatchObject({
      state: 'nothing',
    });
    expect(servingNow([v1, record({ version: '2.0.0', status: 'started', serving: true })])).toMatchObject({ version: '2.0.0', inProgress: true });
    expect(servingNow([v1, record({ version: '2.0.0', status: 'aborted', serving: true })])).toMatchObject({ state: 'unknown' });
    expect(servingNow([smoke])).toBeUndefined();
  });

  it('samples go into columns one entry per round, null where a round has no value', () => {
    const t = { healthUrl: 'h', readyUrl: 'r', metricsUrl: 'm' } as SampleTarget;
    const cols = columnsFor(t, 'eu-1');
    recordRound(cols, { at: 0, health: { up: true }, ready: { missing: 'x' } }); // first scrape: no traffic yet
    recordRound(cols, { at: 1000, health: { up: false }, ready: { up: true }, traffic: { missing: 'no metric' } });
    recordRound(cols, {
      at: 2000,
      health: { up: true },
      ready: { up: true },
      traffic: {
        requests: 40,
        errors: 4,
        buckets: [
          { le: 0.005, count: 30 },
          { le: 0.01, count: 40 },
          { le: Infinity, count: 40 },
        ],
      },
    });
    expect(cols).toEqual({
      server: 'eu-1',
      at: [0, 1000, 2000],
      health: [1, 0, 1],
      ready: [null, 1, 1],
      requests: [null, null, 40],
      errors: [null, null, 4],
      p95: [null, null, 9],
      p99: [null, null, 9.8],
    });
  });
});

describe('the deploy report', () => {
  const html = renderDeployReport(rolledBack);

  it('plots the error rate against the rollback threshold, the breach up to the firing, then the switch back', () => {
    const chart = html.match(/<svg class="chart" id="w0-t0-c0"[\s\S]*?<\/svg>/)![0];
    expect(chart).toContain('<title id="w0-t0-c0-t">error rate (5xx share of requests per 1.0 s)</title>');
    expect(chart).toMatch(/<line class="threshold"[^>]*><title>errorRate &#62; 0.05 for 3s \(rollback, 5.0%\)<\/title>/);
    expect(chart).toMatch(/<rect class="breach"[^>]*><title>errorRate &#62; 0.05 for 3s: breached from 1.0 s<\/title>/);
    expect(chart).toMatch(/<line class="marker fired"[^>]*><title>fired at 4.0 s<\/title>/);
    expect(chart).toMatch(/<line class="marker switch"[^>]*><title>switched back at [\d.]+ s<\/title>/);
    expect(chart).toMatch(/<rect class="alerting"/); // the 2% alert, open from 2 s
  });

  it('lists steps, triggers and alerts as text, and escapes what a record holds', () => {
    expect(html).toContain('<h1>deploy api-server 0.1.0 to development: <span class="rolled_back">rolled back</span></h1>');
    expect(html).toMatch(/<td>verify<\/td><td><span class="failed">failed<\/span><\/td><td>\+1.5 s<\/td><td>4.0 s<\/td>/);
    expect(html).toContain('<li>when it ended: critical resolve slack ok, pagerduty ok</li>');
    const hostile = renderDeployReport({ ...rolledBack, actor: '<script>alert(1)</script>', reason: '"><img src=x onerror=alert(1)>' });
    expect(hostile).not.toMatch(/<script>alert|<img src=x/);
    expect(hostile).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it('shows canary steps as weights over time and a load test against its budget', () => {
    const canary = renderDeployReport({
      ...rolledBack,
      canary: [
        { weight: 10, pause: '1m', startedAt: '2026-12-08T00:51:26.000Z', verdict: 'passed' },
        { weight: 50, pause: '1m', startedAt: '2026-12-08T00:52:26.000Z', verdict: 'breached', detail: 'errorRate > 0.05 for 30s' },
      ],
      rollback: { ...rolledBack.rollback!, finishedAt: '2026-12-08T00:53:00.000Z' },
      loadtest: {
        requests: 900,
        durationS: 30,
        rps: 30,
        errorRate: 0.02,
        p50Ms: 3,
        p95Ms: 260,
        p99Ms: 900,
        maxMs: 1200,
        passed: false,
        url: 'http://x',
        connections: 5,
        budget: { p95Ms: 250, maxErrorRate: 0.01 },
      },
    });
    expect(canary).toContain('canary weights 10% at 0.0 s, 50% at 1 min, 0% at 1 min 34 s; breached');
    expect(canary).toMatch(/<td>p95<\/td><td>260 ms<\/td><td>at most 250 ms<\/td><td><span class="failed">missed<\/span>/);
    expect(canary).toMatch(/<td>error rate<\/td><td>2.00%<\/td><td>at most 1.00%<\/td><td><span class="failed">missed<\/span>/);
    expect(canary).toMatch(/<td>p50<\/td><td>3 ms<\/td><td>–<\/td><td><\/td>/);
  });
});

describe('a service on several servers', () => {
  it('charts each server on its own; the breach and the firing only where the trigger fired, the switch back on every one', () => {
    const w = rolledBack.watches![0]!;
    const [t] = w.targets;
    const html = renderDeployReport({
      ...rolledBack,
      watches: [
        {
          ...w,
          targets: [
            { ...t!, server: 'eu-1' },
            { ...t!, server: 'eu-2' },
          ],
          fired: { ...w.fired!, server: 'eu-2' },
        },
      ],
    });
    expect(html.match(/<h4>eu-\d<\/h4>/g)).toEqual(['<h4>eu-1</h4>', '<h4>eu-2</h4>']);
    const chartOf = (server: number) => html.match(new RegExp(`<svg class="chart" id="w0-t${server}-c0"[\\s\\S]*?</svg>`))![0];
    expect(chartOf(0)).not.toMatch(/class="breach"|marker fired/);
    expect(chartOf(1)).toMatch(/class="breach"/);
    expect(chartOf(1)).toMatch(/marker fired/);
    for (const i of [0, 1]) expect(chartOf(i)).toMatch(/marker switch/);
    expect(html).toContain('fired at 4.0 s on eu-2');
  });
});

describe('page sizes (the goal: under 500 kB)', () => {
  it('a report of a 6-minute window sampled every second', () => {
    const bytes = Buffer.byteLength(renderDeployReport(longWatch()));
    expect(bytes).toBeLessThan(500_000);
    expect(bytes).toBeGreaterThan(50_000); // it does hold 361 samples
  });

  it('a status page of 500 deploys', () => {
    const page = renderStatusPage([environment(manyDeploys(500)), { ...environment([]), name: 'production' }], '2026-12-08T00:00:00Z');
    expect(Buffer.byteLength(page)).toBeLessThan(500_000);
    expect(page.match(/<li class=/g)).toHaveLength(500);
  });
});

describe('the status page', () => {
  it('says what serves where, the lock, a store it could not read, and escapes', () => {
    const page = renderStatusPage(
      [
        {
          ...environment([record({ version: '1.0.0' }), record({ version: '1.1.0', status: 'rolled_back', actor: '<b>x</b>' })]),
          lock: {
            holder: {
              token: 't',
              env: 'staging',
              actor: 'alice',
              host: 'ci-7',
              runPid: 1,
              since: '2026-12-01T11:00:00.000Z',
              what: 'deploy api',
              expiresAt: '2026-12-01T11:00:30.000Z',
            },
            tasks: [],
            stale: false,
          },
          pins: { api: { actor: 'bob', at: '2026-12-01T12:00:00.000Z', rollbackId: 'r1', serving: '1.0.0' } },
        },
        { ...environment([]), name: 'production', problem: 'the state store s3://prod refused the key (403)' },
      ],
      '2026-12-08T00:00:00Z',
    );
    expect(page).toMatch(
      /<td><strong>api<\/strong><\/td><td>1.0.0<\/td><td><code>aaaaaaaa<\/code><\/td><td>2026-12-01 10:01:00Z by ci<\/td><td><span class="rolled_back">rolled back<\/span> deploy 1.1.0/,
    );
    expect(page).toContain('held by alice on ci-7 since 2026-12-01 11:00:00Z: deploy api, lease until 2026-12-01 11:00:30Z');
    expect(page).toContain('pinned at 1.0.0 by bob 2026-12-01 12:00:00Z');
    expect(page).toContain('<p class="failed">the state store s3://prod refused the key (403)</p>');
    expect(page).not.toContain('<b>x</b>');
  });
});
