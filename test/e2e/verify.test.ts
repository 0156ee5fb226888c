import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPagerDutyDouble, startSlackDouble, type PagerDutyDouble, type SlackDouble } from '../support/alert-doubles.ts';
import { startMailpit, type Mailpit } from '../support/mailpit.ts';
import { freePort } from '../support/ports.ts';
import { contrast, inspectPage } from '../support/report-page.ts';
import { stopPid } from '../support/processes.ts';
import { TestDeployment } from '../support/workspace.ts';

const TOKEN = 'verify-smoke-token-6c2d';
const FAULT_TOKEN = 'verify-fault-token-91b7e04d';
/** The api-server's /_faults answers only this bearer (FAULT_TOKEN, passed by the deploy as POD_FAULT_TOKEN). */
const faultAuth = { authorization: `Bearer ${FAULT_TOKEN}` };

// After the cut-over, for real: the api-server deployed as a local process, then a second deploy
// whose new process gets a fault injected (through its test-only /_faults endpoint) once its smoke
// test passed and verification began. Each of the runbook's four triggers, sustained for its
// `for`, rolls the deploy back to the previous process, healthy; the ledger says which trigger and
// the samples that decided. A flapping error rate and an unreachable metrics endpoint do not.
describe('verification after the cut-over rolls back on sustained triggers', () => {
  let deployment: TestDeployment;
  let api: string;
  let slack: SlackDouble;
  let pagerduty: PagerDutyDouble;
  let mail: Mailpit;
  let vars: Record<string, string>;

  const environment = (triggers: unknown[], extra: Record<string, unknown> = {}) => ({
    development: {
      runtime: 'process',
      services: {
        'api-server': { url: api, healthPath: '/health', readyPath: '/ready', metricsPath: '/metrics', ...extra },
      },
      verify: { window: '8s', interval: '1s', triggers },
      // Slack and PagerDuty are doubles that speak their documented protocols; mail goes to a real SMTP server.
      alerts: {
        channels: [
          { type: 'slack', webhookVariable: 'SLACK_WEBHOOK_URL' },
          { type: 'pagerduty', routingKeyVariable: 'PD_ROUTING_KEY', eventsUrl: pagerduty.eventsUrl },
          { type: 'email', smtpUrlVariable: 'ALERT_SMTP_URL', from: 'deploy@pod.test', to: ['oncall@pod.test'] },
        ],
      },
      ephemeralSecrets: ['POD_SMOKE_TOKEN'],
      secrets: ['POD_FAULT_TOKEN'],
    },
  });

  beforeAll(async () => {
    [slack, pagerduty, mail] = await Promise.all([startSlackDouble(), startPagerDutyDouble(), startMailpit()]);
    vars = {
      POD_SMOKE_TOKEN: TOKEN,
      POD_FAULT_INJECTION: 'enabled',
      POD_FAULT_TOKEN: FAULT_TOKEN,
      SLACK_WEBHOOK_URL: slack.webhookUrl,
      PD_ROUTING_KEY: pagerduty.routingKey,
      ALERT_SMTP_URL: mail.smtpUrl(),
    };
    api = `http://127.0.0.1:${await freePort()}`;
    // The first version, without a verification window: what each test's deploy rolls back to.
    const { verify: _, ...unverified } = environment([]).development;
    deployment = new TestDeployment({ development: unverified });
    const first = await deploy();
    expect(first.exitCode, first.all as string).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await stopPid(deployment?.servicePid('development', 'api-server'));
    await deployment?.cleanup();
    await Promise.all([slack?.stop(), pagerduty?.stop(), mail?.stop()]);
  });

  // `stream`: Nx prints a task's output as it comes (with `static` it holds it until the task ends),
  // so the test sees verification begin.
  function deploy() {
    return deployment.run(['nx', 'run', 'api-server:deploy:development', '--excludeTaskDependencies', '--output-style=stream'], vars);
  }

  /** Requests to the API while verifying, so the error rate and latency have something to measure. */
  function traffic(perSecond: number): () => void {
    let on = true;
    const tick = setInterval(() => {
      if (!on) return;
      for (let i = 0; i < perSecond / 10; i++)
        void fetch(`${api}/v1/agents`, { headers: { authorization: `Bearer ${TOKEN}` } }).catch(() => undefined);
    }, 100);
    return () => {
      on = false;
      clearInterval(tick);
    };
  }

  /** Deploys again; once verification has begun on the new process, injects `faults` into it. */
  async function deployWithFault(
    faults: Record<string, unknown> | ((inject: (f: Record<string, unknown>) => Promise<void>) => Promise<void>),
    requestsPerSecond = 0,
  ) {
    const before = deployment.servicePid('development', 'api-server');
    const run = deploy();
    let injected = 0;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const onData = (chunk: Buffer) => {
        seen += chunk.toString();
        if (!seen.includes('verifying for')) return;
        run.all?.off('data', onData);
        resolve();
      };
      run.all?.on('data', onData);
      run.then((r) => reject(new Error(`the deploy ended before verification began:\n${r.all}`)), reject);
    });
    const inject = async (f: Record<string, unknown>) => {
      const res = await fetch(`${api}/_faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...faultAuth },
        body: JSON.stringify(f),
      });
      expect(res.status).toBe(200);
      injected = Date.now();
    };
    // Traffic only once verification began: before, it would use up the rate limit the smoke test checks.
    const stop = requestsPerSecond ? traffic(requestsPerSecond) : () => undefined;
    try {
      if (typeof faults === 'function') await faults(inject);
      else await inject(faults);
      const res = await run;
      return { res, out: res.all as string, before, injected };
    } finally {
      stop();
    }
  }

  const last = () =>
    deployment
      .ledger('development')
      .filter((r) => r.project === 'api-server')
      .at(-1)!;

  async function expectRolledBack(out: string, exitCode: number | undefined, previousPid: number | undefined, trigger: RegExp) {
    expect(exitCode, out).not.toBe(0);
    expect(out).toMatch(trigger);
    expect(out).toMatch(/fired at [\d.]+ s: rolling back/);
    expect(out).toMatch(/rolled back: 0\.1\.0 \(.*\) serves again/);
    const record = last();
    expect(record).toMatchObject({ status: 'rolled_back', rollback: { outcome: 'restored' } });
    expect(String(record.reason)).toMatch(trigger);
    // Behind the proxy the previous process kept running through verification: the proxy switched back to it.
    expect(out).toMatch(/switched back to the warm previous version in [\d.]+ s/);
    expect(deployment.servicePid('development', 'api-server')).toBe(previousPid);
    const health = await fetch(`${api}/health`);
    expect(health.status).toBe(200);
    expect((await (await fetch(`${api}/_faults`, { headers: faultAuth })).json()).errorRate ?? 0).toBe(0); // the previous process, without the fault
  }

  /**
   * The report the deploy wrote, and the same page made again from the ledger by `nx-deploy report`,
   * opened in Chromium: the error-rate series against the rollback threshold, the breach shaded from
   * where it began to where the trigger fired (every point in it above the threshold), then the
   * switch back; the alerts listed; readable in both themes.
   */
  async function expectReportOfRollback(out: string) {
    const record = last() as { id: string; watches: { fired: { fromMs: number; atMs: number } }[] };
    const written = out.match(/report: (\S+\.html)/)?.[1];
    expect(written).toBe(join(deployment.stateDir, 'reports', 'development', `${record.id}.html`));
    const again = join(deployment.dir, 'report.html');
    const made = await deployment.run(['nx-deploy', 'report', record.id, '--out', again]);
    expect(made.exitCode, made.all).toBe(0);
    // Made from the ledger alone, the page is the one the deploy wrote (the alerts sent at its end included).
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(written!, 'utf8'));
    const page = await inspectPage(again);
    const chart = page.charts.find((c) => c.title.startsWith('error rate'))!;
    expect(chart, page.charts.map((c) => c.title).join('; ')).toBeDefined();
    const threshold = chart.thresholds.find((t) => t.label.startsWith('errorRate > 0.05 for 3s (rollback'))!;
    expect(threshold, JSON.stringify(chart.thresholds)).toBeDefined();
    const breach = chart.regions.find((r) => r.kind === 'breach')!;
    const fired = chart.markers.find((m) => m.kind === 'fired')!;
    const back = chart.markers.find((m) => m.kind === 'switch')!;
    expect([breach, fired, back].every(Boolean), JSON.stringify(chart)).toBe(true);
    expect(breach.x + breach.width).toBeCloseTo(fired.x, 0);
    expect(back.x).toBeGreaterThan(fired.x);
    const inBreach = chart.series['error rate']!.filter((p) => p.x >= breach.x - 0.1 && p.x <= fired.x + 0.1);
    expect(inBreach.length).toBeGreaterThanOrEqual(2);
    for (const p of inBreach) expect(p.y, 'a breaching sample is drawn above the threshold line').toBeLessThan(threshold.y);
    expect(chart.description).toMatch(/breached from [\d.]+ s and fired at [\d.]+ s; switched back/);
    // Compared by structure: headings, the charts as named images, the tables of triggers and steps.
    expect(page.aria).toMatch(/heading "deploy api-server 0\.1\.0 to development: rolled back" \[level=1\]/);
    expect(page.aria).toMatch(/heading "Verification: every 1\.0 s for 8\.0 s from .*" \[level=2\]/);
    expect(page.aria).toMatch(/img "error rate \(5xx share of requests per 1\.0 s\)/);
    expect(page.aria).toMatch(/- cell "errorRate > 0\.05 for 3s"/);
    expect(page.aria).toMatch(/listitem: "?verification at [\d.]+ s: raised errorRate > 0\.02 for 1s/);
    expect(page.aria).toMatch(/heading "Steps" \[level=2\]/);
    const { light, dark } = page.themes;
    expect([light.width, light.height]).toEqual([dark.width, dark.height]);
    expect(light.background).not.toBe(dark.background);
    for (const t of [light, dark]) expect(contrast(t.color, t.background)).toBeGreaterThan(7);
  }

  it('rolls back when the error rate stays above its threshold for its whole `for`, alerting on the runbook channels', async () => {
    deployment.write(
      environment([
        { metric: 'errorRate', threshold: 0.05, for: '3s', minRequests: 5 },
        { metric: 'errorRate', threshold: 0.02, for: '1s', minRequests: 5, action: 'alert', severity: 'warning' },
      ]),
    );
    const [slackBefore, pdBefore, mailBefore] = [slack.messages.length, pagerduty.events.length, (await mail.messages()).length];
    const { res, out, before } = await deployWithFault({ errorRate: 0.5 }, 40);
    await expectRolledBack(out, res.exitCode, before, /errorRate > 0\.05 for 3s: breached on \d+ consecutive samples over [3-4]\.\d s/);
    // warning (errorRate > 2%) -> Slack and email; critical (the rollback trigger) -> PagerDuty and
    // Slack, resolved once the previous version served again, under one dedup key; the deploy event -> Slack.
    const mails = (await mail.messages()).slice(0, (await mail.messages()).length - mailBefore);
    expect(mails.map((m) => [m.Subject, m.To[0]?.Address])).toEqual([
      ['[WARNING] api-server in development: errorRate > 0.02 for 1s', 'oncall@pod.test'],
    ]);
    const events = pagerduty.events.slice(pdBefore);
    expect(events.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(events[0]!.dedup_key).toBe(events[1]!.dedup_key);
    expect(events[0]!.payload?.severity).toBe('critical');
    const texts = slack.messages.slice(slackBefore).map((m) => String(m.text));
    expect(texts).toEqual([
      expect.stringContaining('errorRate > 0.02 for 1s'),
      expect.stringContaining('rolling back: errorRate > 0.05 for 3s'),
      expect.stringContaining('Resolved'),
      expect.stringContaining('deploy 0.1.0: rolled_back'),
    ]);
    await expectReportOfRollback(out);
  });

  it('does not let a failing Slack and a rate-limiting PagerDuty change a good deploy; the summary says so', async () => {
    const trigger = {
      name: 'errors above 2%',
      metric: 'errorRate',
      threshold: 0.02,
      for: '1s',
      minRequests: 5,
      action: 'alert',
      severity: 'critical',
    };
    deployment.write(environment([trigger]));
    slack.failNext(100, 500);
    pagerduty.failNext(2, 429, '0');
    try {
      const { res, out } = await deployWithFault({ errorRate: 0.5 }, 40);
      expect(res.exitCode, out).toBe(0);
      const alertLine = out.split('\n').find((l) => l.includes('(critical trigger):')) ?? '';
      expect(alertLine).toMatch(/slack failed: 500 .* after 4 attempts/);
      expect(alertLine).toMatch(/pagerduty ok/); // after two 429s
      expect(out).toMatch(/alerts: info event slack failed: .*500/); // in the summary
      expect(last()).toMatchObject({ status: 'succeeded' });
    } finally {
      slack.failNext(0);
      // The faulty version kept serving (as it should): the next tests' rollbacks switch back to it warm, so it is healed.
      await fetch(`${api}/_faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...faultAuth },
        body: JSON.stringify({ errorRate: 0 }),
      });
    }
  });

  it('rolls back when p95 latency stays above its threshold', async () => {
    deployment.write(environment([{ metric: 'latencyP95', threshold: 2000, for: '3s', minRequests: 3 }]));
    const { res, out, before } = await deployWithFault({ latencyMs: 2500 }, 20);
    await expectRolledBack(out, res.exitCode, before, /latencyP95 > 2000 ms for 3s: breached/);
  });

  it('rolls back when the health check keeps failing', async () => {
    deployment.write(environment([{ metric: 'health', for: '3s' }]));
    const { res, out, before } = await deployWithFault({ latencyMs: 1500 }); // the health probe times out after one interval
    await expectRolledBack(out, res.exitCode, before, /health failing for 3s: breached/);
  });

  it('rolls back when the database connection keeps failing', async () => {
    deployment.write(environment([{ metric: 'ready', name: 'database connection', for: '2s' }]));
    const { res, out, before } = await deployWithFault({ dbDown: true });
    await expectRolledBack(out, res.exitCode, before, /database connection: breached on \d+ consecutive samples/);
  });

  it('keeps a deploy whose error rate flaps above and below the threshold inside the window', async () => {
    deployment.write(environment([{ metric: 'errorRate', threshold: 0.05, for: '4s', minRequests: 5 }]));
    const { res, out } = await deployWithFault(async (inject) => {
      for (let i = 0; i < 3; i++) {
        await inject({ errorRate: 0.5 });
        await new Promise((r) => setTimeout(r, 2_000));
        await inject({ errorRate: 0 });
        await new Promise((r) => setTimeout(r, 1_500));
      }
    }, 40);
    expect(res.exitCode, out).toBe(0);
    expect(out).toMatch(/\d+ requests, \d+ 5xx \((?:[1-9]\d|\d{3})\.\d%\)/); // it did breach, for a while
    expect(last()).toMatchObject({ status: 'succeeded' });
  });

  it('never rolls back on an unreachable metrics endpoint: the trigger is inconclusive and says so', async () => {
    deployment.write(environment([{ metric: 'errorRate', threshold: 0.05, for: '2s' }], { metricsPath: '/no-metrics-here' }));
    const { res, out } = await deployWithFault({});
    expect(res.exitCode, out).toBe(0);
    expect(out).toMatch(
      /inconclusive: errorRate > 0\.05 for 2s: could not be judged for 2s \(.*missing \(http:\/\/127\.0\.0\.1:\d+\/no-metrics-here answered 404\)/,
    );
    expect(last()).toMatchObject({ status: 'succeeded' });
  });
});
