import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LedgerRecord } from '../store/state-store.ts';
import { renderDeployReport } from './deploy-report.ts';

/** Where deploys write their reports instead of `<stateDir>/reports` (CI: a folder of the job's own, uploaded as an artifact). */
export const REPORTS_DIR_VARIABLE = 'NX_DEPLOY_REPORTS_DIR';

/** The folder of an environment's reports on the machine that ran the deploys. */
export function reportsDir(stateDir: string, env: string, environ: NodeJS.ProcessEnv): string {
  return join(environ[REPORTS_DIR_VARIABLE] ? resolve(environ[REPORTS_DIR_VARIABLE]) : join(stateDir, 'reports'), env);
}

/** A deploy worth a page: it was verified (or watched in canary steps), failed or rolled back. */
export const wantsReport = (r: LedgerRecord) => Boolean(r.watches?.length) || r.status === 'failed' || r.status === 'rolled_back';

/** Writes the deploy's report (`<reports dir>/<env>/<deploy id>.html`); returns its path. */
export function writeReport(stateDir: string, r: LedgerRecord, environ: NodeJS.ProcessEnv): string {
  const dir = reportsDir(stateDir, r.env, environ);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${r.id}.html`);
  writeFileSync(path, renderDeployReport(r));
  return path;
}
