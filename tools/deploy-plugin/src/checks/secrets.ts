import { matchesGlob } from 'node:path';
import { fail, pass, type CheckResult } from './result.ts';

interface Finding {
  File: string;
  RuleID: string;
  StartLine: number;
  Fingerprint: string;
  Description?: string;
}

/**
 * Pure: the secrets check from a gitleaks JSON report (run with --redact: no secret is in it).
 * A finding is allowed by its fingerprint (file:rule:line) or a glob matching its file, both
 * relative to the folder scanned.
 */
export function judgeGitleaks(report: string, allow: string[], scanned: string): CheckResult {
  const findings = (JSON.parse(report || '[]') as Finding[]).map((f) => {
    const file = f.File.startsWith(`${scanned}/`) ? f.File.slice(scanned.length + 1) : f.File;
    return { ...f, file, fingerprint: `${file}:${f.RuleID}:${f.StartLine}` };
  });
  const left = findings.filter((f) => !allow.some((a) => a === f.fingerprint || a === f.Fingerprint || matchesGlob(f.file, a)));
  const allowedCount = findings.length - left.length;
  if (left.length)
    return fail(
      'secrets',
      `${left.length} secret(s) in what is deployed: ${left.map((f) => `${f.file}:${f.StartLine} (${f.RuleID})`).join(', ')}; ` +
        `remove them, or allow a known test key by its fingerprint (predeploy.secrets.allow: "${left[0]!.fingerprint}")`,
    );
  return pass('secrets', `no secret found by gitleaks${allowedCount ? ` (${allowedCount} allowed)` : ''}`);
}
