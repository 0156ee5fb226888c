import { channelName, channelSecretVariable, type Alerts, type Channel } from '../config/alerts.ts';
import { parseDuration } from '../core/duration.ts';
import { Redactor } from '../core/redact.ts';
import type { Alert, Delivery } from './alert.ts';
import { attemptWithRetries } from './attempts.ts';
import type { ChannelContext, PreparedSend } from './channel.ts';
import { dedupBlobKey, parseDedupRecord, recordSent, shouldSend, type DedupRecord, type DedupStore } from './dedup.ts';
import { describeDeliveries } from './describe-deliveries.ts';
import { prepareEmail } from './email.ts';
import { preparePagerDuty } from './pagerduty.ts';
import { channelsFor } from './routing.ts';
import { prepareSlack } from './slack.ts';
import { prepareWebhook } from './webhook.ts';

export interface NotifyContext {
  environ: NodeJS.ProcessEnv;
  /** The deploy's redaction; each channel's own secret is redacted as well, registered or not. */
  redact(text: string): string;
  /** Remembers what was sent, for dedup; without one every alert is sent. */
  state?: DedupStore;
  now(): number;
  log?(line: string): void;
  /** Waits between retries; tests pass one that does not wait. */
  sleep?(ms: number): Promise<void>;
}

/** An error's message for a person: a delivery detail or a log line has no room for a stack. */
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function prepare(alert: Alert, channel: Channel, ctx: ChannelContext): PreparedSend {
  switch (channel.type) {
    case 'slack':
      return prepareSlack(alert, channel, ctx);
    case 'pagerduty':
      return preparePagerDuty(alert, channel, ctx);
    case 'email':
      return prepareEmail(alert, channel, ctx);
    case 'webhook':
      return prepareWebhook(alert, channel, ctx);
  }
}

async function deliver(alert: Alert, channel: Channel, config: Alerts, ctx: NotifyContext): Promise<Delivery> {
  const own = new Redactor();
  own.add(ctx.environ[channelSecretVariable(channel)]?.trim());
  const redact = (text: string) => own.redact(ctx.redact(text));
  const name = channelName(channel);
  try {
    const send = prepare(alert, channel, { environ: ctx.environ, timeoutMs: config.timeoutMs, now: ctx.now });
    for (const s of send.secrets) own.add(s);
    try {
      const result = await attemptWithRetries(send.attempt, { retries: config.retries, sleep: ctx.sleep ?? realSleep, now: ctx.now });
      return { channel: name, ok: result.ok, detail: redact(result.detail) };
    } finally {
      send.close?.();
    }
  } catch (err) {
    return { channel: name, ok: false, detail: `not sent: ${redact(messageOf(err))}` };
  }
}

async function readRecord(store: DedupStore, alert: Alert, ctx: NotifyContext): Promise<DedupRecord | undefined> {
  try {
    return parseDedupRecord(await store.get(dedupBlobKey(alert.key)));
  } catch (err) {
    // Better a repeated alert than a lost one.
    ctx.log?.(`alert ${alert.key}: could not read what was sent before, sending anyway: ${ctx.redact(messageOf(err))}`);
    return undefined;
  }
}

async function notifyOrThrow(alert: Alert, config: Alerts, ctx: NotifyContext): Promise<Delivery[]> {
  if (!config.channels.length) return [];
  const { channels, unmatched } = channelsFor(config, alert.severity);
  if (!channels.length) {
    const refs = config.routes[alert.severity].join(', ') || 'nothing';
    const have = config.channels.map(channelName).join(', ');
    return [
      {
        channel: `${alert.severity} route`,
        ok: false,
        detail: `no channel takes ${alert.severity} alerts: routes.${alert.severity} names ${refs}; the channels are ${have}`,
      },
    ];
  }
  if (unmatched.length) ctx.log?.(`alert ${alert.key}: no channel called ${unmatched.join(' or ')}; ${alert.severity} alerts go to the others`);

  const previous = ctx.state ? await readRecord(ctx.state, alert, ctx) : undefined;
  const now = ctx.now();
  const decision = ctx.state ? shouldSend(previous, alert, now, parseDuration(config.dedupWindow, 'alerts.dedupWindow')) : { send: true as const };
  if (!decision.send) return channels.map((c) => ({ channel: channelName(c), ok: true, skipped: true, detail: `skipped: ${decision.why}` }));

  const deliveries = await Promise.all(channels.map((c) => deliver(alert, c, config, ctx)));
  if (ctx.state && deliveries.some((d) => d.ok)) {
    await ctx.state
      .put(dedupBlobKey(alert.key), `${JSON.stringify(recordSent(previous, alert, now), null, 2)}\n`)
      .catch((err: unknown) => ctx.log?.(`alert ${alert.key}: could not record it as sent (it may be sent again): ${ctx.redact(messageOf(err))}`));
  }
  return deliveries;
}

/**
 * Sends an alert to the channels its severity routes to, all at once. Best effort: it never throws;
 * what failed (a channel down, a variable unset) is a Delivery with ok: false and a reason without
 * secrets, for the deploy summary.
 */
export async function notify(alert: Alert, config: Alerts, ctx: NotifyContext): Promise<Delivery[]> {
  let deliveries: Delivery[];
  try {
    deliveries = await notifyOrThrow(alert, config, ctx);
  } catch (err) {
    deliveries = [{ channel: 'alerts', ok: false, detail: `not sent: ${ctx.redact(messageOf(err))}` }];
  }
  try {
    ctx.log?.(`alert ${alert.key} (${alert.severity} ${alert.action}): ${describeDeliveries(deliveries)}`);
  } catch {
    // a broken logger must not turn a delivered alert into an exception
  }
  return deliveries;
}
