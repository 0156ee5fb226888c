import type { Channel } from '../config/alerts.ts';
import { headline, type Alert } from './alert.ts';
import { readVariable, type ChannelContext, type PreparedSend } from './channel.ts';
import { postJson } from './http-attempt.ts';

type PagerDutyChannel = Extract<Channel, { type: 'pagerduty' }>;

export interface PagerDutyRequest {
  /** Path under eventsUrl: alerts and change events have their own endpoints. */
  path: '/v2/enqueue' | '/v2/change/enqueue';
  body: Record<string, unknown>;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const details = (alert: Alert) => ({ text: alert.text, project: alert.project, env: alert.env, ...alert.fields });
const links = (alert: Alert) => (alert.link ? { links: [{ href: alert.link, text: 'Details' }] } : {});

/**
 * Pure: the Events API v2 request for an alert. A trigger opens (or updates) the incident named by
 * dedup_key and a resolve closes it; a deploy event is a change event, which pages nobody.
 */
export function pagerDutyRequest(alert: Alert, routingKey: string, now: number): PagerDutyRequest {
  const summary = clip(headline(alert), 1024);
  const source = `${alert.project} (${alert.env})`;
  if (alert.action === 'event') {
    return {
      path: '/v2/change/enqueue',
      body: {
        routing_key: routingKey,
        payload: { summary, source, timestamp: new Date(now).toISOString(), custom_details: details(alert) },
        ...links(alert),
      },
    };
  }
  if (alert.action === 'resolve') return { path: '/v2/enqueue', body: { routing_key: routingKey, event_action: 'resolve', dedup_key: alert.key } };
  return {
    path: '/v2/enqueue',
    body: {
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: alert.key,
      payload: {
        summary,
        source,
        severity: alert.severity,
        timestamp: new Date(now).toISOString(),
        component: alert.project,
        group: alert.env,
        custom_details: details(alert),
      },
      ...links(alert),
    },
  };
}

/** PagerDuty answers 202 when it queued the event. */
export function preparePagerDuty(alert: Alert, channel: PagerDutyChannel, ctx: ChannelContext): PreparedSend {
  const routingKey = readVariable(ctx.environ, channel.routingKeyVariable, 'the integration key of an Events API v2 integration');
  const { path, body } = pagerDutyRequest(alert, routingKey, ctx.now());
  const url = `${channel.eventsUrl.replace(/\/+$/, '')}${path}`;
  return {
    secrets: [routingKey],
    attempt: () =>
      postJson(url, body, ctx.timeoutMs, (res) =>
        res.status === 202 ? `202 ${path.includes('change') ? 'change event' : alert.action} accepted` : undefined,
      ),
  };
}
