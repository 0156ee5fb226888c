import { z } from 'zod';
import { duration } from './duration.ts';
import { httpUrl, variableName } from './fields.ts';

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, { error: 'expected a lowercase name such as ops-slack (letters, digits, -)' })
  .optional()
  .describe('How routes and messages refer to this channel (default: its type; give one when two channels share a type)');

const slack = z
  .strictObject({
    type: z.literal('slack'),
    name,
    webhookVariable: variableName.describe('Variable holding the Slack incoming-webhook URL (the URL is the secret)'),
  })
  .describe('A Slack channel, through an incoming webhook');

const pagerduty = z
  .strictObject({
    type: z.literal('pagerduty'),
    name,
    routingKeyVariable: variableName.describe("Variable holding the integration key of a PagerDuty service's Events API v2 integration"),
    eventsUrl: httpUrl.default('https://events.pagerduty.com').describe('PagerDuty Events API host (https://events.eu.pagerduty.com in the EU)'),
  })
  .describe('PagerDuty Events API v2: incidents that trigger and resolve, and change events for deploys');

const email = z
  .strictObject({
    type: z.literal('email'),
    name,
    smtpUrlVariable: variableName.describe(
      'Variable holding the SMTP server as a URL: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465',
    ),
    from: z.string().min(3).describe('Sender, e.g. "Deploys <deploys@example.com>"'),
    to: z.array(z.string().min(3)).min(1).describe('Recipients'),
  })
  .describe('E-mail through an SMTP server');

const webhook = z
  .strictObject({
    type: z.literal('webhook'),
    name,
    urlVariable: variableName.describe('Variable holding the URL that receives each alert as a JSON POST'),
  })
  .describe('Any HTTP endpoint: the alert is POSTed as JSON');

export const channelSchema = z.discriminatedUnion('type', [slack, pagerduty, email, webhook]);
export type Channel = z.infer<typeof channelSchema>;
export type ChannelType = Channel['type'];

export const CHANNEL_TYPES: readonly ChannelType[] = ['slack', 'pagerduty', 'email', 'webhook'];

/** The runbook's table: who hears about what. */
export const DEFAULT_ROUTES = {
  critical: ['pagerduty', 'slack'],
  warning: ['slack', 'email'],
  info: ['slack'],
};

const route = (severity: string, fallback: string[]) =>
  z.array(z.string().min(1)).default(fallback).describe(`Channels (by name or type) that receive ${severity} alerts`);

export const alertsSchema = z
  .strictObject({
    channels: z.array(channelSchema).default([]).describe('Where alerts can go'),
    routes: z
      .strictObject({
        critical: route('critical (service down, error rate above 10%)', DEFAULT_ROUTES.critical),
        warning: route('warning (slow responses, error rate above 2%)', DEFAULT_ROUTES.warning),
        info: route('info (deploy events)', DEFAULT_ROUTES.info),
      })
      .prefault({})
      .describe(
        'Which channels each severity goes to. SMS is not supported: route critical alerts to PagerDuty, whose notification rules page people by SMS',
      ),
    dedupWindow: duration("'30m', '90s' or '1h'").default('30m').describe('The same alert (key and action) is not sent again within this long'),
    timeoutMs: z.int().min(100).max(60_000).default(5000).describe('How long one attempt to reach a channel may take'),
    retries: z.int().min(0).max(10).default(3).describe('Further attempts after a failed one (429, 5xx, network errors; never other 4xx)'),
  })
  .superRefine((alerts, ctx) => {
    const names = alerts.channels.map(channelName);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i)
        ctx.addIssue({ code: 'custom', path: ['channels', i, 'name'], message: `two channels are called '${n}': give each a distinct name` });
    });
    for (const [severity, refs] of Object.entries(alerts.routes)) {
      refs.forEach((ref, i) => {
        if (names.includes(ref) || (CHANNEL_TYPES as string[]).includes(ref)) return;
        const message =
          ref === 'sms'
            ? 'SMS is not supported: route critical alerts to pagerduty, whose notification rules can page by SMS'
            : `'${ref}' is neither a channel name (${names.join(', ') || 'none configured'}) nor a channel type (${CHANNEL_TYPES.join(', ')})`;
        ctx.addIssue({ code: 'custom', path: ['routes', severity, i], message });
      });
    }
  });

export type Alerts = z.infer<typeof alertsSchema>;
export type Severity = keyof Alerts['routes'];

/** What messages and routes call a channel. */
export function channelName(channel: Channel): string {
  return channel.name ?? channel.type;
}

/** The variable holding a channel's secret: a webhook URL, a routing key or an SMTP URL with its password. */
export function channelSecretVariable(channel: Channel): string {
  switch (channel.type) {
    case 'slack':
      return channel.webhookVariable;
    case 'pagerduty':
      return channel.routingKeyVariable;
    case 'email':
      return channel.smtpUrlVariable;
    case 'webhook':
      return channel.urlVariable;
  }
}

/** Every variable the alert channels read: each holds a secret, so the caller registers them for redaction. */
export function alertSecretVariables(alerts: Alerts): string[] {
  return [...new Set(alerts.channels.map(channelSecretVariable))];
}
