import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertSecretVariables, alertsSchema, type Alerts } from '../../tools/deploy-plugin/src/config/alerts.ts';
import { Redactor } from '../../tools/deploy-plugin/src/core/redact.ts';
import type { Alert } from '../../tools/deploy-plugin/src/notify/alert.ts';
import { describeDeliveries } from '../../tools/deploy-plugin/src/notify/describe-deliveries.ts';
import { notify, type NotifyContext } from '../../tools/deploy-plugin/src/notify/notify.ts';
import { FileBlobs } from '../../tools/deploy-plugin/src/store/file/blobs.ts';
import { startPagerDutyDouble, startSlackDouble, type PagerDutyDouble, type SlackDouble } from '../support/alert-doubles.ts';
import { startMailpit, type Mailpit } from '../support/mailpit.ts';
import { freePort } from '../support/ports.ts';

// Alerts end to end: the notify module against a REAL SMTP server (mailpit, read back through its
// API) and doubles that speak Slack's incoming-webhook and PagerDuty's Events API v2 protocols,
// checking payloads as those services do. Dedup state lives in the file state store's blobs.
describe('alert notifications', () => {
  let slack: SlackDouble;
  let pd: PagerDutyDouble;
  let mail: Mailpit;
  let alerts: Alerts;
  let environ: Record<string, string>;
  const dirs: string[] = [];
  const SMTP_PASS = 'smtp-pa55-9d2e';

  beforeAll(async () => {
    [slack, pd, mail] = await Promise.all([startSlackDouble(), startPagerDutyDouble(), startMailpit()]);
    alerts = alertsSchema.parse({
      channels: [
        { type: 'slack', webhookVariable: 'SLACK_WEBHOOK_URL' },
        { type: 'pagerduty', routingKeyVariable: 'PAGERDUTY_ROUTING_KEY', eventsUrl: pd.eventsUrl },
        { type: 'email', smtpUrlVariable: 'ALERT_SMTP_URL', from: 'Deploys <deploys@pod.test>', to: ['oncall@pod.test', 'lead@pod.test'] },
      ],
      // The runbook sends info to Slack only; here deploys also become PagerDuty change events.
      routes: { info: ['slack', 'pagerduty'] },
      timeoutMs: 2000,
    });
    environ = { SLACK_WEBHOOK_URL: slack.webhookUrl, PAGERDUTY_ROUTING_KEY: pd.routingKey, ALERT_SMTP_URL: mail.smtpUrl('alerts', SMTP_PASS) };
  }, 60_000);
  afterAll(async () => {
    await Promise.all([slack?.stop(), pd?.stop(), mail?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A deploy's context: its redaction registered from the config, a fresh state store, a clock it controls, waits recorded. */
  function context(env: Record<string, string> = environ) {
    const dir = mkdtempSync(join(tmpdir(), 'notify-state-'));
    dirs.push(dir);
    const redactor = new Redactor();
    redactor.addFromEnv(alertSecretVariables(alerts), env);
    const clock = { now: Date.parse('2025-06-01T10:00:00Z') };
    const sleeps: number[] = [];
    const ctx: NotifyContext = {
      environ: env,
      redact: redactor.redact,
      state: new FileBlobs(dir),
      now: () => clock.now,
      sleep: async (ms) => void sleeps.push(ms),
    };
    return { ctx, clock, sleeps };
  }

  const alert = (key: string, over: Partial<Alert> = {}): Alert => ({
    key: `api-server/staging/${key}`,
    severity: 'critical',
    action: 'trigger',
    title: `api-server ${key} on staging`,
    text: 'error rate 14% > 10% over 2 samples',
    project: 'api-server',
    env: 'staging',
    fields: { 'error rate': '14%' },
    link: 'https://grafana.pod.test/d/api',
    ...over,
  });
  const slackTitles = () => slack.messages.map((m) => (m.blocks?.[0] as { text: { text: string } }).text.text);
  const eventsFor = (key: string) => pd.events.filter((e) => e.dedup_key === `api-server/staging/${key}`);

  it('a critical alert triggers a PagerDuty incident and posts to Slack', async () => {
    const { ctx } = context();
    const deliveries = await notify(alert('down', { title: 'api-server is down on staging' }), alerts, ctx);
    expect(deliveries).toEqual([
      { channel: 'slack', ok: true, detail: 'ok' },
      { channel: 'pagerduty', ok: true, detail: '202 trigger accepted' },
    ]);
    expect(describeDeliveries(deliveries)).toBe('slack ok, pagerduty ok');
    expect(eventsFor('down')).toEqual([
      expect.objectContaining({
        routing_key: pd.routingKey,
        event_action: 'trigger',
        payload: expect.objectContaining({ summary: 'api-server is down on staging', severity: 'critical', source: 'api-server (staging)' }),
        links: [{ href: 'https://grafana.pod.test/d/api', text: 'Details' }],
      }),
    ]);
    expect(pd.incidents()['api-server/staging/down']).toBe('triggered');
    expect(slackTitles()).toContain('api-server is down on staging');
    expect(slack.rejections).toEqual([]);
  });

  it('a warning posts to Slack and e-mails the on-call over SMTP (read back from mailpit)', async () => {
    const { ctx } = context();
    const deliveries = await notify(
      alert('latency', { severity: 'warning', title: 'api-server p95 1.4 s on staging', text: 'p95 1400 ms > 1000 ms', fields: { p95: '1400 ms' } }),
      alerts,
      ctx,
    );
    expect(deliveries).toEqual([
      { channel: 'slack', ok: true, detail: 'ok' },
      { channel: 'email', ok: true, detail: 'accepted for oncall@pod.test, lead@pod.test' },
    ]);
    expect(eventsFor('latency')).toEqual([]);
    const summary = (await mail.messages()).find((m) => m.Subject === '[WARNING] api-server p95 1.4 s on staging');
    expect(summary).toBeDefined();
    const message = await mail.message(summary!.ID);
    expect(message.From).toEqual({ Name: 'Deploys', Address: 'deploys@pod.test' });
    expect(message.To.map((a) => a.Address)).toEqual(['oncall@pod.test', 'lead@pod.test']);
    expect(message.Text).toContain('p95 1400 ms > 1000 ms');
    expect(message.Text).toContain('Environment: staging');
    expect(message.Text).toContain('p95: 1400 ms');
    expect(message.Text).toContain('Details: https://grafana.pod.test/d/api');
  });

  it('a deploy event posts to Slack and becomes a PagerDuty change event (no incident)', async () => {
    const { ctx } = context();
    const deploy = alert('deploy-1.4.0', {
      severity: 'info',
      action: 'event',
      title: 'api-server 1.4.0 deployed to staging',
      text: 'by ci',
      fields: {},
    });
    const deliveries = await notify(deploy, alerts, ctx);
    expect(deliveries).toEqual([
      { channel: 'slack', ok: true, detail: 'ok' },
      { channel: 'pagerduty', ok: true, detail: '202 change event accepted' },
    ]);
    expect(pd.changes.at(-1)).toEqual({
      routing_key: pd.routingKey,
      payload: {
        summary: 'api-server 1.4.0 deployed to staging',
        source: 'api-server (staging)',
        timestamp: '2025-06-01T10:00:00.000Z',
        custom_details: { text: 'by ci', project: 'api-server', env: 'staging' },
      },
      links: [{ href: 'https://grafana.pod.test/d/api', text: 'Details' }],
    });
    expect(eventsFor('deploy-1.4.0')).toEqual([]);
    expect(slackTitles()).toContain('api-server 1.4.0 deployed to staging');
  });

  it('a trigger then a resolve open and close one incident under one dedup_key; a second resolve is not sent', async () => {
    const { ctx, clock } = context();
    await notify(alert('errorRate'), alerts, ctx);
    clock.now += 60_000;
    const resolved = await notify(alert('errorRate', { action: 'resolve' }), alerts, ctx);
    expect(resolved.map((d) => d.ok)).toEqual([true, true]);
    expect(eventsFor('errorRate').map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(pd.incidents()['api-server/staging/errorRate']).toBe('resolved');
    expect(slackTitles()).toContain('Resolved: api-server errorRate on staging');

    const again = await notify(alert('errorRate', { action: 'resolve' }), alerts, ctx);
    expect(again.every((d) => d.skipped)).toBe(true);
    expect(describeDeliveries(again)).toBe('slack, pagerduty skipped: nothing to resolve: no trigger was sent for it, or it is resolved already');
    expect(eventsFor('errorRate')).toHaveLength(2);
  });

  it('the same trigger twice within the dedup window is sent once, and again once the window has passed', async () => {
    const { ctx, clock } = context();
    const before = slack.messages.length;
    await notify(alert('flap'), alerts, ctx);
    clock.now += 10 * 60_000;
    const repeat = await notify(alert('flap'), alerts, ctx);
    expect(describeDeliveries(repeat)).toBe('slack, pagerduty skipped: the same trigger went out 10 min ago (dedup window 30 min)');
    expect(eventsFor('flap')).toHaveLength(1);
    expect(slack.messages.length - before).toBe(1);

    clock.now += 20 * 60_000;
    await notify(alert('flap'), alerts, ctx);
    expect(eventsFor('flap')).toHaveLength(2);
    expect(slack.messages.length - before).toBe(2);
  });

  it('Slack answering 500 is retried, then reported failed; PagerDuty answering 429 twice is delivered on the 3rd attempt', async () => {
    const { ctx, sleeps } = context();
    const [slackBefore, pdBefore] = [slack.requests.length, pd.requests.length];
    slack.failNext(4, 500);
    pd.failNext(2, 429, '1');
    const deliveries = await notify(alert('retries'), alerts, ctx);
    expect(deliveries).toEqual([
      { channel: 'slack', ok: false, detail: '500 rollup_error after 4 attempts' },
      { channel: 'pagerduty', ok: true, detail: '202 trigger accepted on attempt 3' },
    ]);
    expect(describeDeliveries(deliveries)).toBe('slack failed: 500 rollup_error after 4 attempts, pagerduty ok');
    expect(slack.requests.length - slackBefore).toBe(4);
    expect(pd.requests.slice(pdBefore).map((r) => r.status)).toEqual([429, 429, 202]);
    // Backoff 500, 1000, 2000 ms for Slack; PagerDuty's Retry-After: 1 honoured twice.
    expect(sleeps.sort((a, b) => a - b)).toEqual([500, 1000, 1000, 1000, 2000]);
    expect(eventsFor('retries')).toHaveLength(1);
  });

  it('names an unset variable, and keeps the SMTP password out of a failure; the other channels still deliver', async () => {
    const closed = await freePort();
    const env = { PAGERDUTY_ROUTING_KEY: pd.routingKey, ALERT_SMTP_URL: `smtp://alerts:${SMTP_PASS}@127.0.0.1:${closed}` };
    const { ctx } = context(env);
    const critical = await notify(alert('unset'), alerts, ctx);
    expect(critical).toEqual([
      { channel: 'slack', ok: false, detail: 'not sent: SLACK_WEBHOOK_URL is not set (it should hold the Slack incoming-webhook URL)' },
      { channel: 'pagerduty', ok: true, detail: '202 trigger accepted' },
    ]);
    const warning = await notify(alert('smtp-down', { severity: 'warning' }), alerts, ctx);
    expect(warning[1]).toMatchObject({ channel: 'email', ok: false, detail: expect.stringMatching(/ECONNREFUSED.* after 4 attempts$/) });
    expect(JSON.stringify(warning)).not.toContain(SMTP_PASS);
  });
  it('the doubles refuse what Slack and PagerDuty refuse, so a wrong payload cannot pass here', async () => {
    const post = async (url: string, body: unknown) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return `${res.status} ${await res.text()}`;
    };
    expect(await post(slack.webhookUrl, {})).toBe('400 no_text');
    expect(await post(slack.webhookUrl, { blocks: [{ type: 'header', text: { type: 'mrkdwn', text: '*x*' } }] })).toBe('400 invalid_payload');
    expect(slack.rejections.at(-1)).toBe('blocks[0].text.type must be plain_text');
    expect(await post(`${slack.webhookUrl}x`, { text: 'hi' })).toBe('404 no_service');
    const invalid = (errors: string[]) => `400 ${JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors })}`;
    expect(await post(`${pd.eventsUrl}/v2/enqueue`, { routing_key: 'short', event_action: 'resolve' })).toBe(
      invalid(["Length of 'routing_key' is incorrect (should be 32 characters)", "'dedup_key' is missing or blank"]),
    );
    const trigger = { routing_key: pd.routingKey, event_action: 'trigger', payload: { summary: 's', severity: 'fatal' } };
    expect(await post(`${pd.eventsUrl}/v2/enqueue`, trigger)).toBe(
      invalid([
        "'payload.source' is missing or blank",
        "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
      ]),
    );
    expect(await post(`${pd.eventsUrl}/v2/change/enqueue`, { routing_key: pd.routingKey, payload: {} })).toBe(
      invalid(["'payload.summary' is missing or blank"]),
    );
  });
});
