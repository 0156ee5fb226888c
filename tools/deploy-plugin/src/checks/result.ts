import type { PredeployCheckName } from '../config/predeploy.ts';

/** What one pre-deployment check found: a pass, a failure, or that it could not tell (never a pass). */
export interface CheckResult {
  name: PredeployCheckName;
  status: 'pass' | 'fail' | 'unknown' | 'skipped';
  detail: string;
}

export const pass = (name: PredeployCheckName, detail: string): CheckResult => ({ name, status: 'pass', detail });
export const fail = (name: PredeployCheckName, detail: string): CheckResult => ({ name, status: 'fail', detail });
export const unknown = (name: PredeployCheckName, detail: string): CheckResult => ({ name, status: 'unknown', detail });
export const skipped = (name: PredeployCheckName, detail: string): CheckResult => ({ name, status: 'skipped', detail });

/**
 * Pure: whether the deploy may go on. A failure always blocks; an unknown blocks where the
 * environment says `unknown: block` (production), and is only reported where it says `warn`.
 */
export function predeployVerdict(results: CheckResult[], unknownPolicy: 'block' | 'warn'): { ok: boolean; blocking: CheckResult[] } {
  const blocking = results.filter((r) => r.status === 'fail' || (r.status === 'unknown' && unknownPolicy === 'block'));
  return { ok: blocking.length === 0, blocking };
}

/** One line per check, as printed and recorded: `pass     audit       no advisory at high or above`. */
export function checkLine(r: CheckResult): string {
  return `${r.status.padEnd(8)} ${r.name.padEnd(11)} ${r.detail}`;
}
