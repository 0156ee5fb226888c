import { appendFileSync, existsSync, mkdirSync, readFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { Redactor } from '../core/redact.ts';
import type { RollbackOutcome } from '../core/rollback.ts';

export type LedgerStatus = 'started' | 'succeeded' | 'failed' | 'rolled_back' | 'aborted';

export interface StepRecord {
  name: string;
  status: 'succeeded' | 'failed' | 'skipped';
  durationMs: number;
  detail?: string;
  url?: string;
}

export interface LedgerRecord {
  id: string;
  project: string;
  env: string;
  /** What ran: `deploy`, or a single step run on its own (`migrate`, `smoke`, ...). */
  kind: string;
  version: string;
  gitSha: string;
  status: LedgerStatus;
  actor: string;
  approver?: string;
  startedAt: string;
  finishedAt?: string;
  artifact?: string;
  /** The container image deployed, by digest. */
  image?: string;
  backupRef?: string;
  url?: string;
  reason?: string;
  /** What undoing a failed deploy achieved: whether the previous version serves again. */
  rollback?: RollbackOutcome;
  steps?: StepRecord[];
}

/**
 * Append-only deploy records, one JSON Lines file per environment. Each state change of a deploy
 * appends the whole record again; readers keep the last line per id. A line is written as
 * "\n" + JSON with one append and an fsync: a crash mid-write can only damage that one line,
 * which readers skip, and the next append still starts on a line of its own.
 */
export class Ledger {
  private readonly dir: string;
  private readonly redactor: Redactor;

  constructor(dir: string, redactor: Redactor) {
    this.dir = dir;
    this.redactor = redactor;
  }

  private file(env: string): string {
    return join(this.dir, `${env}.jsonl`);
  }

  append(record: LedgerRecord): void {
    mkdirSync(this.dir, { recursive: true });
    const path = this.file(record.env);
    appendFileSync(path, `\n${JSON.stringify(this.redactor.redactDeep(record))}`, { mode: 0o600 });
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Every record of an environment in the order deploys started, each in its latest state. */
  read(env: string): { records: LedgerRecord[]; damagedLines: number } {
    const path = this.file(env);
    if (!existsSync(path)) return { records: [], damagedLines: 0 };
    const latest = new Map<string, LedgerRecord>();
    let damagedLines = 0;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const rec = JSON.parse(line) as LedgerRecord;
        if (typeof rec.id !== 'string') throw new Error('no id');
        latest.set(rec.id, rec);
      } catch {
        damagedLines++;
      }
    }
    return { records: [...latest.values()], damagedLines };
  }

  /** The newest record of a project in an environment that matches `where`. */
  latest(env: string, project: string, where: (r: LedgerRecord) => boolean): LedgerRecord | undefined {
    return this.read(env).records.findLast((r) => r.project === project && where(r));
  }

  /** The last deploy of a project that succeeded (and matches `where`): what promotion and rollbacks build on. */
  lastGood(env: string, project: string, where: (r: LedgerRecord) => boolean = () => true): LedgerRecord | undefined {
    return this.latest(env, project, (r) => r.kind === 'deploy' && r.status === 'succeeded' && where(r));
  }
}
