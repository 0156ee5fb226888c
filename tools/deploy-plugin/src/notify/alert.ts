import type { Severity } from '../config/alerts.ts';

export type { Severity };

/**
 * Something people should hear about. `key` names the condition, not the occurrence
 * ("api-server/staging/errorRate"): the trigger and the resolve of one incident share it, and it
 * is what repeats are recognised by.
 */
export interface Alert {
  key: string;
  severity: Severity;
  /** trigger opens an incident, resolve closes it; event is a one-off notice (a deploy). */
  action: 'trigger' | 'resolve' | 'event';
  title: string;
  /** Slack mrkdwn is allowed; other channels show it as plain text. */
  text: string;
  project: string;
  env: string;
  fields?: Record<string, string>;
  link?: string;
}

/** What became of an alert on one channel, for the deploy summary. */
export interface Delivery {
  channel: string;
  ok: boolean;
  detail: string;
  /** Not sent on purpose (a repeat within the dedup window, a resolve with nothing open). */
  skipped?: boolean;
}

/** The title people read: a resolve says so, whatever the caller titled it. */
export function headline(alert: Alert): string {
  return alert.action === 'resolve' && !/^resolved\b/i.test(alert.title) ? `Resolved: ${alert.title}` : alert.title;
}
