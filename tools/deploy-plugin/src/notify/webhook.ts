import type { Channel } from '../config/alerts.ts';
import type { Alert } from './alert.ts';
import { readUrlVariable, type ChannelContext, type PreparedSend } from './channel.ts';
import { postJson } from './http-attempt.ts';

type WebhookChannel = Extract<Channel, { type: 'webhook' }>;

/** The alert as it is, POSTed as JSON; any 2xx answer is a delivery. */
export function prepareWebhook(alert: Alert, channel: WebhookChannel, ctx: ChannelContext): PreparedSend {
  const url = readUrlVariable(ctx.environ, channel.urlVariable, 'the URL that receives alerts', ['https', 'http']);
  return {
    secrets: [url.href],
    attempt: () => postJson(url.href, alert, ctx.timeoutMs, (res) => (res.status >= 200 && res.status < 300 ? `${res.status}` : undefined)),
  };
}
