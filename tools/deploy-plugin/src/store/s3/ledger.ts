import { mapLimit } from '../../core/pool.ts';
import type { Redactor } from '../../core/redact.ts';
import { UserError } from '../../core/errors.ts';
import { LeaseLost, type LedgerRecord, type LedgerStore } from '../state-store.ts';
import { CONFLICT, parseStored, type S3Objects } from './objects.ts';

/** How many of each project's newest records the head keeps, so most look-ups read one object. */
const RECENT = 20;

/**
 * The per-environment head: the lock generation (the fencing number), the last write number, and
 * each project's newest records.
 */
export interface LedgerHead {
  lockGeneration: number;
  seq: number;
  recent: Record<string, LedgerRecord[]>;
}

const headKey = (env: string) => `ledger/${env}/head.json`;
const recordsPrefix = (env: string) => `ledger/${env}/records/`;
const emptyHead = (): LedgerHead => ({ lockGeneration: 0, seq: 0, recent: {} });

/**
 * The ledger in an S3-compatible store. A head object per environment, updated by compare-and-swap,
 * holds the current lock generation, the write counter and each project's recent records; every
 * state of a record is then also an immutable object written create-only
 * (`records/<id>/<write number>.json`), in the order the head gave. A write whose generation is
 * older than the head's comes from a deploy whose lease was taken over: it is refused, so a holder
 * that lost its lease cannot write to the ledger.
 */
export class S3Ledger implements LedgerStore {
  private readonly objects: S3Objects;
  private readonly redactor: Redactor;

  constructor(objects: S3Objects, redactor: Redactor) {
    this.objects = objects;
    this.redactor = redactor;
  }

  /** Reads the head, changes it with `update`, writes it back only if nobody else did meanwhile; retried until it sticks. */
  private async updateHead(env: string, update: (head: LedgerHead) => LedgerHead): Promise<LedgerHead> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const current = await this.objects.get(headKey(env));
      const head = current ? { ...emptyHead(), ...parseStored<LedgerHead>(current.body, headKey(env), this.objects) } : emptyHead();
      const next = update(head);
      const written = await this.objects.put(headKey(env), JSON.stringify(next), current ? { ifMatch: current.etag } : { ifNoneMatch: true });
      if (written !== CONFLICT) return next;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
    }
    throw new UserError(`the ledger head of ${env} in ${this.objects.where} kept changing under 50 attempts to update it; run the command again`);
  }

  async head(env: string): Promise<LedgerHead> {
    const current = await this.objects.get(headKey(env));
    return current ? { ...emptyHead(), ...parseStored<LedgerHead>(current.body, headKey(env), this.objects) } : emptyHead();
  }

  /** Fences off every lease below `generation`: their ledger writes are refused from now on. */
  /**
   * Makes `generation` the environment's lease generation, only if it is above the current one;
   * false when another lease already claimed it or a higher one (its winner read an older head).
   */
  async claimGeneration(env: string, generation: number): Promise<boolean> {
    let claimed = false;
    await this.updateHead(env, (head) => {
      claimed = head.lockGeneration < generation;
      return claimed ? { ...head, lockGeneration: generation } : head;
    });
    return claimed;
  }

  async raiseGeneration(env: string, generation: number): Promise<void> {
    await this.updateHead(env, (head) => ({ ...head, lockGeneration: Math.max(head.lockGeneration, generation) }));
  }

  async append(record: LedgerRecord): Promise<void> {
    let written: LedgerRecord | undefined;
    await this.updateHead(record.env, (head) => {
      if (record.generation !== undefined && head.lockGeneration > record.generation) {
        throw new LeaseLost(
          `the ${record.env} lock was taken over by a newer deploy (lease ${head.lockGeneration}; this one held ${record.generation}), ` +
            `so this deploy may not write to the ledger any more; its record ${record.id} stays as the other deploy left it`,
        );
      }
      written = { ...this.redactor.redactDeep(record), seq: head.seq + 1 };
      const others = (head.recent[record.project] ?? []).filter((r) => r.id !== record.id);
      return { ...head, seq: written.seq!, recent: { ...head.recent, [record.project]: [...others, written].slice(-RECENT) } };
    });
    const key = `${recordsPrefix(record.env)}${record.id}/${String(written!.seq).padStart(12, '0')}.json`;
    await this.objects.put(key, JSON.stringify(written), { ifNoneMatch: true });
  }

  async read(env: string): Promise<{ records: LedgerRecord[]; damagedLines: number }> {
    // Each record's newest state: the highest write number among its objects, or the head's copy
    // when that is newer (a writer that stopped between the head and the object).
    const newest = new Map<string, string>();
    for (const key of await this.objects.list(recordsPrefix(env))) newest.set(key.slice(recordsPrefix(env).length).split('/')[0]!, key);
    let damaged = 0;
    const stored = await mapLimit([...newest.values()], 8, async (key) => {
      try {
        return JSON.parse((await this.objects.get(key))!.body) as LedgerRecord;
      } catch {
        damaged++;
        return undefined;
      }
    });
    const byId = new Map(stored.filter((r): r is LedgerRecord => Boolean(r)).map((r) => [r.id, r]));
    for (const r of Object.values((await this.head(env)).recent).flat()) {
      if ((byId.get(r.id)?.seq ?? 0) < (r.seq ?? 0)) byId.set(r.id, r);
    }
    // Record ids start with their start time: sorted ids are deploys in the order they started.
    return { records: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), damagedLines: damaged };
  }

  async latest(env: string, project: string, where: (r: LedgerRecord) => boolean): Promise<LedgerRecord | undefined> {
    const recent = (await this.head(env)).recent[project] ?? [];
    const hit = recent.findLast(where);
    if (hit || recent.length < RECENT) return hit;
    return (await this.read(env)).records.findLast((r) => r.project === project && where(r));
  }
}
