import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileSafeName } from '../core/names.ts';
import type { LedgerRecord } from '../store/state-store.ts';

/** The variable the plugin's preTasksExecution sets for the tasks of one Nx run: its id. */
export const RUN_ID_VARIABLE = 'NX_DEPLOY_RUN_ID';

const runDir = (stateDir: string, runId: string) => join(stateDir, 'runs', fileSafeName(runId));

/**
 * Keeps a finished deploy's record for the summary of the Nx run it belongs to (a task of `nx
 * run-many`, whose output Nx hides in CI when it succeeds); nothing outside such a run.
 */
export function keepForRunSummary(stateDir: string, record: LedgerRecord, environ: NodeJS.ProcessEnv = process.env): void {
  const runId = environ[RUN_ID_VARIABLE];
  if (!runId) return;
  const dir = runDir(stateDir, runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${fileSafeName(record.project)}.${record.kind}.json`), JSON.stringify(record));
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Pure: the whole run as a table for people (each project and step, result, time, URL), then what serves now. */
export function renderRunSummary(records: LedgerRecord[]): string {
  const rows = [['project', 'env', 'step', 'result', 'time', 'url / what it did']];
  for (const r of records)
    for (const s of r.steps ?? []) rows.push([r.project, r.env, s.name, s.status, seconds(s.durationMs), s.url ?? s.detail ?? '']);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const table = rows.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
  const outcomes = records.map((r) => {
    const serving =
      r.status === 'succeeded' ? `${r.version} serves` : r.rollback?.outcome === 'restored' ? `${r.rollback.serving} serves again` : 'see above';
    const servers = (r.servers ?? []).map((s) => `\n    ${s.server}: ${s.state}, serves ${s.serves}`).join('');
    return `  ${r.project} ${r.kind} to ${r.env} (${r.gitSha.slice(0, 8)}): ${r.status}; ${serving}${r.url ? ` at ${r.url}` : ''}${servers}`;
  });
  return ['nx-deploy: this run', ...table.map((l) => `  ${l}`), ...outcomes].join('\n');
}

/** Pure: the same as a GitHub step summary (Markdown). */
export function renderRunSummaryMarkdown(records: LedgerRecord[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    '### nx-deploy',
    '',
    '| project | env | status | version | step | result | time | url / what it did |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of records)
    for (const s of r.steps ?? [])
      lines.push(
        `| ${cell(r.project)} | ${r.env} | ${r.status} | ${cell(r.version)} | ${s.name} | ${s.status} | ${seconds(s.durationMs)} | ${cell(s.url ?? s.detail ?? '')} |`,
      );
  return `${lines.join('\n')}\n`;
}

/**
 * At the end of an Nx run: the records its deploy tasks kept, printed as one summary (and appended
 * to `$GITHUB_STEP_SUMMARY` when set), then let go of. Nothing when the run deployed nothing.
 */
export function printRunSummary(
  stateDir: string,
  runId: string,
  environ: NodeJS.ProcessEnv = process.env,
  write = (s: string) => process.stdout.write(s),
): void {
  const dir = runDir(stateDir, runId);
  if (!existsSync(dir)) return;
  const records = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as LedgerRecord);
  rmSync(dir, { recursive: true, force: true });
  if (!records.length) return;
  write(`\n${renderRunSummary(records)}\n`);
  if (environ.GITHUB_STEP_SUMMARY) appendFileSync(environ.GITHUB_STEP_SUMMARY, renderRunSummaryMarkdown(records));
}
