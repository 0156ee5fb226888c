import { UserError } from './errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Pure: "90s", "10m", "1h", "7d", "500ms" or a number of milliseconds, for people typing options. */
export function parseDuration(value: string | number, option: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(String(value));
  if (!m) throw new UserError(`${option} must be a duration such as 90s, 10m or 1h; got '${value}'`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!);
}
