import { randomBytes } from 'node:crypto';
import { mapLimit } from '../../core/pool.ts';
import type { Redactor } from '../../core/redact.ts';
import { LeaseLost, type LedgerRecord, type LedgerStore } from '../state-store.ts';
import { CONFLICT, type S3Objects } from './objects.ts';

/** How many of each project's newest records the head keeps, so most look-ups read one object. */
const RECENT = 20;

/** The per-environment head: the lock generation (the fencing number) and each project's newest records. */
export interface LedgerHead {
  lockGeneration: number;
  recent: Record<string, LedgerRecord[]>;
}

const headKey = (env: string) => `ledger/${env}/head.json`;
const recordsPrefix = (env: string) => `ledger/${env}/records/`;

/**
 * The ledger in an S3-compatible store. Every state of a record is an immutable object written
 * create-only (`records/<id>/<time>-<random>.json`); a head object per environment, updated by
 * compare-and-swap, holds the current lock generation and each project's recent records. A write
 * whose generation is older than the head's comes from a deploy whose lease was taken over: it is
 * refused, so a holder that lost its lease cannot write.
 */
export class S3Ledger implements LedgerStore {
  private readonly objects: S3Objects;
  private readonly redactor: Redactor;

  constructor(objects: S3Objects, redactor: Redactor) {
    this.objects = objects;
    this.redactor = redactor;
  }

  /** Reads the head, changes it with `update`, writes it back only if nobody else did meanwhile; retried until it sticks. */
  async updateHead(env: string, update: (head: LedgerHead) => LedgerHead): Promise<LedgerHead> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.objects.get(headKey(env));
      const head: LedgerHead = current ? (JSON.parse(current.body) as LedgerHead) : { lockGeneration: 0, recent: {} };
      const next = update(head);
      const written = await this.objects.put(headKey(env), JSON.stringify(next), current ? { ifMatch: current.etag } : { ifNoneMatch: true });
      if (written !== CONFLICT) return next;
      if (attempt >= 50) throw new Error(`the ledger head of ${env} in ${this.objects.where} kept changing under 50 attempts to update it`);
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
    }
  }

  async head(env: string): Promise<LedgerHead> {
    const current = await this.objects.get(headKey(env));
    return current ? (JSON.parse(current.body) as LedgerHead) : { lockGeneration: 0, recent: {} };
  }

  async append(record: LedgerRecord): Promise<void> {
    const safe = this.redactor.redactDeep(record);
    await this.updateHead(record.env, (head) => {
      if (record.generation !== undefined && head.lockGeneration > record.generation) {
        throw new LeaseLost(
          `the ${record.env} lock was taken over by a newer deploy (lease ${head.lockGeneration}; this one held ${record.generation}), ` +
            `so this deploy may not write to the ledger any more; its record ${record.id} stays as the other deploy left it`,
        );
      }
      const mine = (head.recent[record.project] ?? []).filter((r) => r.id !== record.id);
      return { ...head, recent: { ...head.recent, [record.project]: [...mine, safe].slice(-RECENT) } };
    });
    const key = `${recordsPrefix(record.env)}${record.id}/${new Date().toISOString()}-${randomBytes(3).toString('hex')}.json`;
    await this.objects.put(key, JSON.stringify(safe), { ifNoneMatch: true });
  }

  async read(env: string): Promise<{ records: LedgerRecord[]; damagedLines: number }> {
    // Each record's newest state is the last of its keys (they sort by write time).
    const newest = new Map<string, string>();
    for (const key of await this.objects.list(recordsPrefix(env))) newest.set(key.slice(recordsPrefix(env).length).split('/')[0]!, key);
    let damaged = 0;
    const records = await mapLimit([...newest.values()], 8, async (key) => {
      try {
        return JSON.parse((await this.objects.get(key))!.body) as LedgerRecord;
      } catch {
        damaged++;
        return undefined;
      }
    });
    // Record ids start with their start time: sorted ids are deploys in the order they started.
    return { records: records.filter((r): r is LedgerRecord => Boolean(r)).sort((a, b) => (a.id < b.id ? -1 : 1)), damagedLines: damaged };
  }

  async latest(env: string, project: string, where: (r: LedgerRecord) => boolean): Promise<LedgerRecord | undefined> {
    const recent = (await this.head(env)).recent[project] ?? [];
    const hit = recent.findLast(where);
    if (hit || recent.length < RECENT) return hit;
    return (await this.read(env)).records.findLast((r) => r.project === project && where(r));
  }
}
