import { UserError } from './errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The one grammar of a duration with its unit, in deploy.json and options: '500ms', '90s', '10m', '1h', '7d'. */
export const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/** Pure: "90s", "10m", "1h", "7d", "500ms" or a number of milliseconds, for people typing options. */
export function parseDuration(value: string | number, option: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  // A bare number counts milliseconds (as a number would).
  const text = String(value);
  const m = DURATION.exec(/^\s*\d+(\.\d+)?\s*$/.test(text) ? `${text}ms` : text);
  if (!m) throw new UserError(`${option} must be a duration such as 90s, 10m or 1h; got '${value}'`);
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}
