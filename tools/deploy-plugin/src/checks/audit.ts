import { AUDIT_LEVELS, type PredeploySettings } from '../config/predeploy.ts';
import { fail, pass, unknown, type CheckResult } from './result.ts';

interface Advisory {
  id: string;
  ghsa?: string;
  name: string;
  title: string;
  severity: string;
}

/** The advisories of an `npm audit --json` report (each vulnerable package's `via` entries that are advisories). */
function advisoriesOf(report: { vulnerabilities?: Record<string, { via?: unknown[] }> }): Advisory[] {
  const byId = new Map<string, Advisory>();
  for (const v of Object.values(report.vulnerabilities ?? {})) {
    for (const via of v.via ?? []) {
      if (typeof via !== 'object' || via === null) continue; // a package name: the advisory is listed under that package
      const a = via as { source?: number | string; name?: string; title?: string; severity?: string; url?: string };
      if (a.source === undefined) continue;
      const ghsa = /GHSA-[\w-]+/.exec(a.url ?? '')?.[0];
      byId.set(String(a.source), { id: String(a.source), ghsa, name: a.name ?? '?', title: a.title ?? '', severity: a.severity ?? 'unknown' });
    }
  }
  return [...byId.values()];
}

const rank = (severity: string) => AUDIT_LEVELS.indexOf(severity as (typeof AUDIT_LEVELS)[number]);

/**
 * Pure: the audit check from `npm audit --json`'s output. Advisories at the environment's level or
 * worse fail it unless allowed by id (or GHSA id) until a day not yet past; an expired entry says
 * so. When npm could not reach its advisory source (it prints an error object, no report), the
 * check is unknown, never a pass.
 */
export function judgeAudit(stdout: string, settings: PredeploySettings['audit'], today: string): CheckResult {
  let report: { vulnerabilities?: Record<string, { via?: unknown[] }>; message?: string; error?: { summary?: string } };
  try {
    report = JSON.parse(stdout);
  } catch {
    return unknown('audit', `npm audit printed no report (${stdout.trim().split('\n')[0]?.slice(0, 160) || 'nothing'})`);
  }
  if (!report.vulnerabilities) {
    const why = report.message ?? report.error?.summary ?? 'no report';
    return unknown('audit', `the advisory source could not be asked: ${why.split('\n')[0]}`);
  }
  const counted = advisoriesOf(report).filter((a) => rank(a.severity) >= rank(settings.level));
  const blocking: string[] = [];
  const allowed: string[] = [];
  for (const a of counted) {
    const entry = settings.allow.find((e) => String(e.id) === a.id || (a.ghsa && String(e.id) === a.ghsa));
    const named = `${a.name}: ${a.title} (${a.severity}, advisory ${a.ghsa ?? a.id})`;
    if (!entry) blocking.push(named);
    else if (entry.expires < today) blocking.push(`${named}, allowed until ${entry.expires} (expired)`);
    else allowed.push(`${a.ghsa ?? a.id} until ${entry.expires}`);
  }
  if (blocking.length) return fail('audit', `${blocking.length} advisory(ies) at ${settings.level} or worse: ${blocking.join('; ')}`);
  return pass('audit', `no advisory at ${settings.level} or worse${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`);
}

/** Pure: the crate's part of the audit from `cargo audit --json`; undefined when it printed no report (its database could not be fetched). */
export function judgeCargoAudit(stdout: string): CheckResult | undefined {
  let report: { vulnerabilities?: { count?: number; list?: { advisory?: { id?: string; package?: string; title?: string } }[] } };
  try {
    report = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (!report.vulnerabilities) return undefined;
  const list = report.vulnerabilities.list ?? [];
  if (!list.length) return pass('audit', 'cargo audit: no advisory for Cargo.lock');
  return fail('audit', `cargo audit: ${list.map((v) => `${v.advisory?.package}: ${v.advisory?.title} (${v.advisory?.id})`).join('; ')}`);
}
