import { afterEach, describe, expect, it, vi } from 'vitest';
import { alertSecretVariables, alertsSchema, channelName, channelSchema, DEFAULT_ROUTES, type Alerts } from '../src/config/alerts.ts';
import type { Alert } from '../src/notify/alert.ts';
import { backoffMs } from '../src/core/retry.ts';
import { dedupBlobKey, recordSent, shouldSend, type DedupRecord } from '../src/notify/dedup.ts';
import { describeDeliveries } from '../src/notify/describe-deliveries.ts';
import { emailMessage } from '../src/notify/email.ts';
import { notify, type NotifyContext } from '../src/notify/notify.ts';
import { pagerDutyRequest } from '../src/notify/pagerduty.ts';
import { channelsFor } from '../src/notify/routing.ts';
import { slackPayload } from '../src/notify/slack.ts';

const alert = (over: Partial<Alert> = {}): Alert => ({
  key: 'api-server/staging/errorRate',
  severity: 'critical',
  action: 'trigger',
  title: 'api-server error rate 14% on staging',
  text: '5xx share 14% > 10% over 2 samples',
  project: 'api-server',
  env: 'staging',
  ...over,
});

const ROUTING_KEY = 'a'.repeat(32);
const config = (over: Record<string, unknown> = {}): Alerts =>
  alertsSchema.parse({
    channels: [
      { type: 'slack', webhookVariable: 'SLACK_WEBHOOK_URL' },
      { type: 'pagerduty', routingKeyVariable: 'PAGERDUTY_ROUTING_KEY', eventsUrl: 'https://events.example.test' },
      { type: 'email', smtpUrlVariable: 'ALERT_SMTP_URL', from: 'deploys@example.test', to: ['oncall@example.test'] },
    ],
    ...over,
  });

describe('alerts config (config/alerts.ts)', () => {
  it('defaults to the runbook: critical to PagerDuty and Slack, warning to Slack and e-mail, info to Slack', () => {
    expect(alertsSchema.parse({})).toEqual({ channels: [], routes: DEFAULT_ROUTES, dedupWindow: '30m', timeoutMs: 5000, retries: 3 });
    expect(DEFAULT_ROUTES).toEqual({ critical: ['pagerduty', 'slack'], warning: ['slack', 'email'], info: ['slack'] });
    expect(alertsSchema.parse({ routes: { info: ['slack', 'pagerduty'] } }).routes).toEqual({ ...DEFAULT_ROUTES, info: ['slack', 'pagerduty'] });
  });

  it('fills channel defaults: the PagerDuty host, and a name that is the type', () => {
    const pd = channelSchema.parse({ type: 'pagerduty', routingKeyVariable: 'PD_KEY' });
    expect(pd).toEqual({ type: 'pagerduty', routingKeyVariable: 'PD_KEY', eventsUrl: 'https://events.pagerduty.com' });
    expect(channelName(pd)).toBe('pagerduty');
    expect(channelName(channelSchema.parse({ type: 'slack', name: 'ops-slack', webhookVariable: 'X' }))).toBe('ops-slack');
  });

  it('refuses SMS, unknown routes, duplicate names, a secret in place of a variable name, and e-mail to nobody', () => {
    const issues = (input: unknown) => alertsSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ routes: { critical: ['pagerduty', 'sms'] } })).toEqual([
      'routes.critical.1: SMS is not supported: route critical alerts to pagerduty, whose notification rules can page by SMS',
    ]);
    expect(issues({ channels: [{ type: 'slack', webhookVariable: 'S' }], routes: { info: ['teams'] } })).toEqual([
      "routes.info.0: 'teams' is neither a channel name (slack) nor a channel type (slack, pagerduty, email, webhook)",
    ]);
    expect(
      issues({
        channels: [
          { type: 'slack', webhookVariable: 'A' },
          { type: 'slack', webhookVariable: 'B' },
        ],
      }),
    ).toEqual(["channels.1.name: two channels are called 'slack': give each a distinct name"]);
    expect(issues({ channels: [{ type: 'webhook', urlVariable: 'https://hooks.example.test/x' }] })).toEqual([
      'channels.0.urlVariable: expected the NAME of an environment variable (A-Z, 0-9, _), not its value',
    ]);
    expect(issues({ channels: [{ type: 'email', smtpUrlVariable: 'SMTP', from: 'a@b.c', to: [] }] })?.[0]).toMatch(/^channels\.0\.to: /);
  });

  it('names every variable holding a secret, for redaction', () => {
    const withWebhook = config({ channels: [...config().channels, { type: 'webhook', urlVariable: 'ALERT_HOOK_URL' }] });
    expect(alertSecretVariables(withWebhook)).toEqual(['SLACK_WEBHOOK_URL', 'PAGERDUTY_ROUTING_KEY', 'ALERT_SMTP_URL', 'ALERT_HOOK_URL']);
  });
});

describe('shouldSend (notify/dedup.ts)', () => {
  const WINDOW = 30 * 60_000;
  const T0 = 1_000_000;
  const open: DedupRecord = { key: 'k', open: true, sent: { trigger: T0 } };

  it('sends what was never sent', () => {
    expect(shouldSend(undefined, { action: 'trigger' }, T0, WINDOW)).toEqual({ send: true });
    expect(shouldSend(undefined, { action: 'event' }, T0, WINDOW)).toEqual({ send: true });
  });

  it('holds back the same trigger until the window has passed, to the millisecond', () => {
    expect(shouldSend(open, { action: 'trigger' }, T0, WINDOW)).toEqual({
      send: false,
      why: 'the same trigger went out 0 ms ago (dedup window 30 min)',
    });
    expect(shouldSend(open, { action: 'trigger' }, T0 + WINDOW - 1, WINDOW).send).toBe(false);
    expect(shouldSend(open, { action: 'trigger' }, T0 + WINDOW, WINDOW)).toEqual({ send: true });
  });

  it('resolves only an open incident, once', () => {
    expect(shouldSend(undefined, { action: 'resolve' }, T0, WINDOW)).toEqual({
      send: false,
      why: 'nothing to resolve: no trigger was sent for it, or it is resolved already',
    });
    expect(shouldSend(open, { action: 'resolve' }, T0 + 1, WINDOW)).toEqual({ send: true });
    const resolved = recordSent(open, { key: 'k', action: 'resolve' }, T0 + 1);
    expect(resolved).toEqual({ key: 'k', open: false, sent: { trigger: T0, resolve: T0 + 1 } });
    expect(shouldSend(resolved, { action: 'resolve' }, T0 + 2, WINDOW).send).toBe(false);
  });

  it('sends a trigger after a resolve at once: it is a new incident', () => {
    const resolved = recordSent(open, { key: 'k', action: 'resolve' }, T0 + 1);
    expect(shouldSend(resolved, { action: 'trigger' }, T0 + 2, WINDOW)).toEqual({ send: true });
    expect(recordSent(resolved, { key: 'k', action: 'trigger' }, T0 + 2).open).toBe(true);
  });

  it('holds back a repeated event within the window and leaves the incident state alone', () => {
    const evented = recordSent(open, { key: 'k', action: 'event' }, T0);
    expect(evented.open).toBe(true);
    expect(shouldSend(evented, { action: 'event' }, T0 + 60_000, WINDOW)).toEqual({
      send: false,
      why: 'the same event went out 1 min ago (dedup window 30 min)',
    });
  });

  it('keeps records under alerts/ without a way out', () => {
    expect(dedupBlobKey('api-server/staging/errorRate')).toBe('alerts/api-server/staging/errorRate.json');
    expect(dedupBlobKey('../../etc/x y')).toBe('alerts/_/_/etc/x_y.json');
  });
});

describe('routing (notify/routing.ts)', () => {
  const names = (alerts: Alerts, severity: Alert['severity']) => channelsFor(alerts, severity).channels.map(channelName);

  it('follows the runbook table by channel type', () => {
    expect(names(config(), 'critical')).toEqual(['slack', 'pagerduty']);
    expect(names(config(), 'warning')).toEqual(['slack', 'email']);
    expect(names(config(), 'info')).toEqual(['slack']);
  });

  it('routes by name too, and reports a route matching no channel', () => {
    const alerts = alertsSchema.parse({
      channels: [
        { type: 'slack', name: 'ops-slack', webhookVariable: 'A' },
        { type: 'slack', name: 'team-slack', webhookVariable: 'B' },
      ],
      routes: { warning: ['team-slack'] },
    });
    expect(names(alerts, 'warning')).toEqual(['team-slack']);
    expect(channelsFor(alerts, 'critical')).toMatchObject({ unmatched: ['pagerduty'] });
    expect(names(alerts, 'critical')).toEqual(['ops-slack', 'team-slack']);
  });
});

describe('payloads', () => {
  it('Slack: text for the notification, Block Kit blocks for the message (the e2e double checks them as Slack does)', () => {
    const payload = slackPayload(alert({ fields: { 'error rate': '14%', threshold: '10%' }, link: 'https://grafana.example.test/d/1' }));
    expect(payload.text).toBe('[CRITICAL] api-server error rate 14% on staging (api-server on staging)');
    expect(payload.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'api-server error rate 14% on staging', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: '5xx share 14% &gt; 10% over 2 samples' } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*error rate*\n14%' },
          { type: 'mrkdwn', text: '*threshold*\n10%' },
        ],
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: ':red_circle: critical · *api-server* on *staging* · <https://grafana.example.test/d/1|details>' }],
      },
    ]);
  });

  it('Slack: a long title fits the 150-character header, no empty section; a resolve says so', () => {
    const long = slackPayload(alert({ title: 'x'.repeat(400), text: '' }));
    expect(long.blocks.map((b) => b.type)).toEqual(['header', 'context']);
    expect((long.blocks[0] as { text: { text: string } }).text.text).toHaveLength(150);
    expect(slackPayload(alert({ action: 'resolve' })).blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Resolved: api-server error rate 14% on staging', emoji: true },
    });
  });

  it('PagerDuty: a trigger carries the payload, a resolve only the key, a deploy is a change event', () => {
    const now = Date.parse('2025-01-02T03:04:05Z');
    expect(pagerDutyRequest(alert({ fields: { rate: '14%' } }), ROUTING_KEY, now)).toEqual({
      path: '/v2/enqueue',
      body: {
        routing_key: ROUTING_KEY,
        event_action: 'trigger',
        dedup_key: 'api-server/staging/errorRate',
        payload: {
          summary: 'api-server error rate 14% on staging',
          source: 'api-server (staging)',
          severity: 'critical',
          timestamp: '2025-01-02T03:04:05.000Z',
          component: 'api-server',
          group: 'staging',
          custom_details: { text: '5xx share 14% > 10% over 2 samples', project: 'api-server', env: 'staging', rate: '14%' },
        },
      },
    });
    expect(pagerDutyRequest(alert({ action: 'resolve' }), ROUTING_KEY, now)).toEqual({
      path: '/v2/enqueue',
      body: { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'api-server/staging/errorRate' },
    });
    const deploy = pagerDutyRequest(
      alert({ action: 'event', severity: 'info', key: 'api-server/staging/deploy', title: 'deployed 1.2.0' }),
      ROUTING_KEY,
      now,
    );
    expect(deploy).toEqual({
      path: '/v2/change/enqueue',
      body: {
        routing_key: ROUTING_KEY,
        payload: {
          summary: 'deployed 1.2.0',
          source: 'api-server (staging)',
          timestamp: '2025-01-02T03:04:05.000Z',
          custom_details: { text: '5xx share 14% > 10% over 2 samples', project: 'api-server', env: 'staging' },
        },
      },
    });
    const summary = (pagerDutyRequest(alert({ title: 'y'.repeat(2000) }), ROUTING_KEY, now).body.payload as { summary: string }).summary;
    expect(summary).toHaveLength(1024);
  });

  it('e-mail: subject [SEVERITY] title, the text and what it is about in the body', () => {
    const channel = config().channels[2]!;
    if (channel.type !== 'email') throw new Error('expected the email channel');
    expect(emailMessage(alert({ severity: 'warning', title: 'p95 1.4 s', fields: { p95: '1400 ms' } }), channel)).toEqual({
      from: 'deploys@example.test',
      to: ['oncall@example.test'],
      subject: '[WARNING] p95 1.4 s',
      text: '5xx share 14% > 10% over 2 samples\n\nProject: api-server\nEnvironment: staging\np95: 1400 ms\n',
    });
  });
});

describe('backoffMs (core/retry.ts)', () => {
  it('doubles from 500 ms, honours Retry-After (seconds or a date) and caps every wait at 30 s', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, null, 0))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs(10, undefined, 0)).toBe(30_000);
    expect(backoffMs(1, '3', 0)).toBe(3000);
    expect(backoffMs(1, '3600', 0)).toBe(30_000);
    const now = Date.parse('2025-01-02T03:04:05Z');
    expect(backoffMs(1, 'Thu, 02 Jan 2025 03:04:07 GMT', now)).toBe(2000);
    expect(backoffMs(1, 'Thu, 02 Jan 2025 03:04:00 GMT', now)).toBe(0);
    expect(backoffMs(2, 'soon', now)).toBe(1000);
  });
});

describe('notify (no network: fetch is replaced)', () => {
  type Reply = { status: number; body: string; headers?: Record<string, string> };
  const calls: { url: string; body: unknown }[] = [];
  const sleeps: number[] = [];

  /** fetch answering from `replies` per URL prefix, in order; the last reply repeats. */
  function fakeFetch(replies: Record<string, Reply[]>) {
    calls.length = 0;
    sleeps.length = 0;
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, body: JSON.parse(String(init.body)) });
      const prefix = Object.keys(replies).find((p) => url.startsWith(p));
      if (!prefix) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED', message: `connect ECONNREFUSED for ${url}` } });
      const queue = replies[prefix]!;
      const r = queue.length > 1 ? queue.shift()! : queue[0]!;
      return new Response(r.status === 204 ? null : r.body, { status: r.status, headers: r.headers });
    });
  }
  afterEach(() => vi.unstubAllGlobals());

  const SLACK = 'https://hooks.slack.test/services/T1/B1/s3cr3t-webhook-token';
  const PD = 'https://events.example.test';
  const ctx = (over: Partial<NotifyContext> = {}): NotifyContext => ({
    environ: { SLACK_WEBHOOK_URL: SLACK, PAGERDUTY_ROUTING_KEY: ROUTING_KEY },
    redact: (t) => t,
    now: () => 1_000_000,
    sleep: async (ms) => void sleeps.push(ms),
    ...over,
  });

  it('retries 429 with backoff and delivers on the 3rd attempt; gives up on 5xx after the retries; never retries a 400', async () => {
    fakeFetch({
      [PD]: [
        { status: 429, body: '{"status":"throttle event","message":"slow down"}' },
        { status: 429, body: '' },
        { status: 202, body: '{}' },
      ],
      [SLACK]: [{ status: 500, body: 'rollup_error' }],
    });
    const deliveries = await notify(alert(), config(), ctx());
    expect(deliveries).toEqual([
      { channel: 'slack', ok: false, detail: '500 rollup_error after 4 attempts' },
      { channel: 'pagerduty', ok: true, detail: '202 trigger accepted on attempt 3' },
    ]);
    expect(calls.filter((c) => c.url === `${PD}/v2/enqueue`)).toHaveLength(3);
    expect(sleeps.sort((a, b) => a - b)).toEqual([500, 500, 1000, 1000, 2000]);
    expect(describeDeliveries(deliveries)).toBe('slack failed: 500 rollup_error after 4 attempts, pagerduty ok');

    fakeFetch({ [SLACK]: [{ status: 400, body: 'invalid_payload' }] });
    expect(await notify(alert({ severity: 'info', action: 'event' }), config(), ctx())).toEqual([
      { channel: 'slack', ok: false, detail: '400 invalid_payload' },
    ]);
    expect(calls).toHaveLength(1);
  });

  it("keeps a channel's secret out of its failure detail, even when the deploy did not register it", async () => {
    fakeFetch({ [PD]: [{ status: 400, body: JSON.stringify({ message: 'Event object is invalid', errors: [`unknown key ${ROUTING_KEY}`] }) }] });
    const environ = { ...ctx().environ, SLACK_WEBHOOK_URL: 'https://unreachable.test/services/T1/B1/an0ther-s3cret' };
    const deliveries = await notify(alert(), config(), ctx({ environ }));
    expect(deliveries).toEqual([
      { channel: 'slack', ok: false, detail: 'connect ECONNREFUSED for *** after 4 attempts' },
      { channel: 'pagerduty', ok: false, detail: '400 Event object is invalid; unknown key ***' },
    ]);
    expect(JSON.stringify(deliveries)).not.toContain('an0ther-s3cret');
  });

  it('reports an unset or malformed variable by name, never its value, and sends the rest', async () => {
    fakeFetch({ [PD]: [{ status: 202, body: '{}' }] });
    const environ = { PAGERDUTY_ROUTING_KEY: ROUTING_KEY, ALERT_SMTP_URL: 'mailto:ops:hunter2-pass@example.test' };
    expect(await notify(alert(), config(), ctx({ environ }))).toEqual([
      { channel: 'slack', ok: false, detail: 'not sent: SLACK_WEBHOOK_URL is not set (it should hold the Slack incoming-webhook URL)' },
      { channel: 'pagerduty', ok: true, detail: '202 trigger accepted' },
    ]);
    const warning = await notify(alert({ severity: 'warning' }), config(), ctx({ environ }));
    expect(warning[1]).toEqual({
      channel: 'email',
      ok: false,
      detail: 'not sent: ALERT_SMTP_URL does not hold the SMTP server as smtp://user:pass@host:port (expected a smtp or smtps URL)',
    });
  });

  it('dedups through the store, sends anyway when the store fails, and never throws', async () => {
    fakeFetch({ [PD]: [{ status: 202, body: '{}' }], [SLACK]: [{ status: 200, body: 'ok' }] });
    const blobs = new Map<string, string>();
    const state = { get: async (k: string) => blobs.get(k), put: async (k: string, b: string) => void blobs.set(k, b) };
    const first = await notify(alert(), config(), ctx({ state }));
    expect(first.every((d) => d.ok && !d.skipped)).toBe(true);
    expect(JSON.parse(blobs.get('alerts/api-server/staging/errorRate.json')!)).toEqual({
      key: 'api-server/staging/errorRate',
      open: true,
      sent: { trigger: 1_000_000 },
    });
    const again = await notify(alert(), config(), ctx({ state, now: () => 1_060_000 }));
    expect(describeDeliveries(again)).toBe('slack, pagerduty skipped: the same trigger went out 1 min ago (dedup window 30 min)');
    expect(calls).toHaveLength(2);

    const lines: string[] = [];
    const broken = { get: async () => Promise.reject(new Error('store down')), put: async () => Promise.reject(new Error('still down')) };
    const sent = await notify(alert(), config(), ctx({ state: broken, log: (l) => lines.push(l) }));
    expect(sent.map((d) => d.ok)).toEqual([true, true]);
    expect(lines[0]).toBe('alert api-server/staging/errorRate: could not read what was sent before, sending anyway: store down');

    const bad = { ...config(), dedupWindow: 'soon' };
    expect(await notify(alert(), bad, ctx({ state }))).toEqual([
      { channel: 'alerts', ok: false, detail: "not sent: alerts.dedupWindow must be a duration such as 90s, 10m or 1h; got 'soon'" },
    ]);
  });

  it('posts the alert itself to a webhook, and records nothing when every channel failed (the next call tries again)', async () => {
    const HOOK = 'https://hooks.example.test/alerts/t0ken-1234';
    fakeFetch({ [HOOK]: [{ status: 204, body: '' }], [SLACK]: [{ status: 404, body: 'no_service' }] });
    const hooked = alertsSchema.parse({ channels: [{ type: 'webhook', urlVariable: 'ALERT_HOOK_URL' }], routes: { critical: ['webhook'] } });
    const a = alert({ fields: { rate: '14%' } });
    expect(await notify(a, hooked, ctx({ environ: { ALERT_HOOK_URL: HOOK } }))).toEqual([{ channel: 'webhook', ok: true, detail: '204' }]);
    expect(calls).toEqual([{ url: HOOK, body: a }]);

    const blobs = new Map<string, string>();
    const state = { get: async (k: string) => blobs.get(k), put: async (k: string, b: string) => void blobs.set(k, b) };
    const slackOnly = alertsSchema.parse({ channels: [{ type: 'slack', webhookVariable: 'SLACK_WEBHOOK_URL' }] });
    expect(await notify(a, slackOnly, ctx({ state }))).toEqual([{ channel: 'slack', ok: false, detail: '404 no_service' }]);
    expect(blobs.size).toBe(0);
  });

  it('says so when a severity routes to no configured channel, and does nothing without channels', async () => {
    fakeFetch({});
    const slackOnly = alertsSchema.parse({
      channels: [{ type: 'slack', webhookVariable: 'SLACK_WEBHOOK_URL' }],
      routes: { critical: ['pagerduty'] },
    });
    expect(await notify(alert(), slackOnly, ctx())).toEqual([
      { channel: 'critical route', ok: false, detail: 'no channel takes critical alerts: routes.critical names pagerduty; the channels are slack' },
    ]);
    expect(await notify(alert(), alertsSchema.parse({}), ctx())).toEqual([]);
    expect(describeDeliveries([])).toBe('no alert channel configured');
    expect(calls).toHaveLength(0);
  });
});
