import type { Alert } from './alert.ts';

/** Where dedup records live: the state store's BlobStore has exactly this shape. */
export interface DedupStore {
  get(key: string): Promise<string | undefined>;
  put(key: string, body: string): Promise<void>;
}

/** What was last sent for one alert key, and whether its incident is open (triggered, not resolved). */
export interface DedupRecord {
  key: string;
  open: boolean;
  /** When each action was last sent, epoch ms. */
  sent: Partial<Record<Alert['action'], number>>;
}

export type Decision = { send: true } | { send: false; why: string };

/**
 * Pure: whether to send `alert` given what was sent before. The same key and action go out once
 * per window; a resolve only closes an incident that a trigger opened. A trigger after a resolve is
 * a new incident and goes out even within the window: holding it back would leave a failing
 * service looking resolved.
 */
export function shouldSend(previous: DedupRecord | undefined, alert: Pick<Alert, 'action'>, now: number, windowMs: number): Decision {
  if (alert.action === 'resolve') {
    return previous?.open ? { send: true } : { send: false, why: 'nothing to resolve: no trigger was sent for it, or it is resolved already' };
  }
  if (alert.action === 'trigger' && previous && !previous.open) return { send: true };
  const last = previous?.sent[alert.action];
  if (last !== undefined && now - last < windowMs) {
    return { send: false, why: `the same ${alert.action} went out ${since(now - last)} ago (dedup window ${since(windowMs)})` };
  }
  return { send: true };
}

/** Pure: the record once `alert` has been sent at `now`. */
export function recordSent(previous: DedupRecord | undefined, alert: Pick<Alert, 'key' | 'action'>, now: number): DedupRecord {
  const open = alert.action === 'trigger' ? true : alert.action === 'resolve' ? false : (previous?.open ?? false);
  return { key: alert.key, open, sent: { ...previous?.sent, [alert.action]: now } };
}

/** `api-server/staging/errorRate` -> `alerts/api-server/staging/errorRate.json`; no segment can climb out. */
export function dedupBlobKey(key: string): string {
  const segments = key.split('/').map((s) => (/^\.*$/.test(s) ? '_' : s.replace(/[^\w.@-]/g, '_')));
  return `alerts/${segments.join('/')}.json`;
}

/** A stored record, or undefined when there is none or it cannot be read (then the alert is sent). */
export function parseDedupRecord(text: string | undefined): DedupRecord | undefined {
  if (!text) return undefined;
  try {
    const r = JSON.parse(text) as DedupRecord;
    return typeof r === 'object' && r && typeof r.sent === 'object' && r.sent
      ? { key: String(r.key), open: r.open === true, sent: r.sent }
      : undefined;
  } catch {
    return undefined;
  }
}

function since(ms: number): string {
  const abs = Math.max(0, ms);
  if (abs < 1000) return `${abs} ms`;
  if (abs < 60_000) return `${Math.round(abs / 1000)} s`;
  if (abs < 3_600_000) return `${Math.round(abs / 60_000)} min`;
  return `${Math.round(abs / 360_000) / 10} h`;
}
