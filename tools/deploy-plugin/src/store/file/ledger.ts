import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redactor } from '../../core/redact.ts';
import type { LedgerRecord, LedgerStore } from '../state-store.ts';

/**
 * Append-only deploy records, one JSON Lines file per environment. Each state change of a deploy
 * appends the whole record again; readers keep the last line per id. A line is written as
 * "\n" + JSON with one append and an fsync: a crash mid-write can only damage that one line,
 * which readers skip, and the next append still starts on a line of its own.
 */
export class FileLedger implements LedgerStore {
  private readonly dir: string;
  private readonly redactor: Redactor;

  constructor(dir: string, redactor: Redactor) {
    this.dir = dir;
    this.redactor = redactor;
  }

  private file(env: string): string {
    return join(this.dir, `${env}.jsonl`);
  }

  async append(record: LedgerRecord): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const path = this.file(record.env);
    const created = !existsSync(path);
    appendFileSync(path, `\n${JSON.stringify(this.redactor.redactDeep(record))}`, { mode: 0o600 });
    fsync(path);
    // A new file's name lives in its folder: without this, a power cut could lose the whole file.
    if (created) fsync(this.dir);
  }

  /** Every record of an environment in the order deploys started, each in its latest state. */
  async read(env: string): Promise<{ records: LedgerRecord[]; damagedLines: number }> {
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

  async latest(env: string, project: string, where: (r: LedgerRecord) => boolean): Promise<LedgerRecord | undefined> {
    return (await this.read(env)).records.findLast((r) => r.project === project && where(r));
  }
}

function fsync(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
