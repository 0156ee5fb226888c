import type { Channel } from '../config/alerts.ts';
import { headline, type Alert } from './alert.ts';
import { readUrlVariable, type ChannelContext, type PreparedSend } from './channel.ts';
import { postJson } from './http-attempt.ts';

type SlackChannel = Extract<Channel, { type: 'slack' }>;
type TextObject = { type: 'plain_text' | 'mrkdwn'; text: string; emoji?: boolean };
export type SlackBlock =
  { type: 'header'; text: TextObject } | { type: 'section'; text?: TextObject; fields?: TextObject[] } | { type: 'context'; elements: TextObject[] };

export interface SlackMessage {
  /** The notification's text and the fallback where blocks cannot show. */
  text: string;
  blocks: SlackBlock[];
}

const MARK: Record<Alert['severity'], string> = { critical: ':red_circle:', warning: ':warning:', info: ':information_source:' };

// Block Kit limits: header text 150 characters, section text 3000, at most 10 fields of 2000.
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
/** Slack reads &, < and > as markup (links, mentions): text from elsewhere must escape them. */
export const escapeMrkdwn = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Pure: the incoming-webhook body for an alert (Block Kit). */
export function slackPayload(alert: Alert): SlackMessage {
  const title = headline(alert);
  const mark = alert.action === 'resolve' ? ':large_green_circle:' : MARK[alert.severity];
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: clip(title, 150), emoji: true } }];
  if (alert.text.trim()) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(escapeMrkdwn(alert.text), 3000) } });
  const fields = Object.entries(alert.fields ?? {}).slice(0, 10);
  if (fields.length)
    blocks.push({
      type: 'section',
      fields: fields.map(([k, v]) => ({ type: 'mrkdwn', text: clip(`*${escapeMrkdwn(k)}*\n${escapeMrkdwn(v)}`, 2000) })),
    });
  const context = `${mark} ${alert.severity} · *${escapeMrkdwn(alert.project)}* on *${escapeMrkdwn(alert.env)}*`;
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: alert.link ? `${context} · <${alert.link}|details>` : context }] });
  return { text: `[${alert.severity.toUpperCase()}] ${title} (${alert.project} on ${alert.env})`, blocks };
}

/** Slack answers 200 "ok" when it posted the message; anything else is an error code in the body. */
export function prepareSlack(alert: Alert, channel: SlackChannel, ctx: ChannelContext): PreparedSend {
  const url = readUrlVariable(ctx.environ, channel.webhookVariable, 'the Slack incoming-webhook URL', ['https', 'http']);
  const body = slackPayload(alert);
  return {
    secrets: [url.href],
    attempt: () => postJson(url.href, body, ctx.timeoutMs, (res) => (res.status === 200 && res.body.trim() === 'ok' ? 'ok' : undefined)),
  };
}
