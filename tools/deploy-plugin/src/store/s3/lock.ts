import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { UserError } from '../../core/errors.ts';
import { currentRunPid, isAlive, startTimeOf } from '../../core/processes.ts';
import { LockHeld, type Lease, type LeaseRequest, type LockHolder, type LockStatus, type LockStore } from '../state-store.ts';
import { describeProgress } from '../progress.ts';
import type { S3Ledger } from './ledger.ts';
import { CONFLICT, parseStored, type S3Objects, type Versioned } from './objects.ts';

/** The lease object: who holds the environment, until when unless renewed, and the tasks of the holding Nx run. */
interface LeaseDoc extends LockHolder {
  generation: number;
  expiresAt: string;
  tasks: number[];
}

const leaseKey = (env: string) => `locks/${env}.json`;
/** The store's timestamps have one-second resolution. */
const ROUNDING_MS = 1000;

/**
 * Environment locks as leases in an S3-compatible store. A lease is written create-only
 * (If-None-Match: *), renewed by a heartbeat while its holder runs, taken over with a
 * compare-and-swap (If-Match on its ETag) once it expired — the deploys it left unfinished are then
 * recorded `aborted` — and released with a conditional delete, only if it is still ours. Each lease
 * has a generation above every earlier one, which is written into the environment's ledger head
 * before the lease can be lost: the fencing number its ledger writes carry. Tasks of one Nx run
 * (same host, same run process, same start time) share a lease, so backends deploy in parallel.
 * Expiry is judged by the store's clock alone (how long ago the lease object was last written), so
 * runners whose clocks disagree cannot both believe they hold it; the holder counts its own time
 * since its last renewal was sent and stops acting a safety margin before anyone could take over.
 */
export class S3Locks implements LockStore {
  private readonly objects: S3Objects;
  private readonly ledger: S3Ledger;
  private readonly leaseMs: number;
  private readonly me: { pid: number; runPid: number; runStart?: string; host: string };
  /** This runner's wall clock: only for what people read (since, expiresAt); a test skews it. */
  private readonly now: () => number;

  constructor(objects: S3Objects, ledger: S3Ledger, leaseSeconds: number, now: () => number = Date.now) {
    this.objects = objects;
    this.now = now;
    this.ledger = ledger;
    this.leaseMs = leaseSeconds * 1000;
    const runPid = currentRunPid();
    this.me = { pid: process.pid, runPid, runStart: startTimeOf(runPid), host: hostname() };
  }

  private async read(env: string): Promise<{ doc: LeaseDoc; version: Versioned } | undefined> {
    const version = await this.objects.get(leaseKey(env));
    return version ? { doc: parseStored<LeaseDoc>(version.body, leaseKey(env), this.objects), version } : undefined;
  }

  /** Not renewed for a whole lease by the store's clock (its timestamps are whole seconds: one more for rounding). */
  private expired(current: { doc: LeaseDoc; version: Versioned }): boolean {
    if (current.version.ageMs !== undefined) return current.version.ageMs >= this.leaseMs + ROUNDING_MS;
    return Date.parse(current.doc.expiresAt) + ROUNDING_MS < this.now();
  }

  private sameRun(doc: LeaseDoc): boolean {
    return doc.host === this.me.host && doc.runPid === this.me.runPid && doc.runStart === this.me.runStart;
  }

  async acquire(env: string, who: LeaseRequest): Promise<Lease> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.read(env);
      if (current && !this.expired(current)) {
        const { doc } = current;
        if (!this.sameRun(doc)) {
          throw new LockHeld(
            { holder: doc, tasks: doc.tasks, stale: false },
            `. Its lease runs until ${doc.expiresAt} unless renewed. Wait for that deploy to finish (or pass --lock-wait), or see it with \`npx nx-deploy lock status --env ${env}\`.`,
          );
        }
        const joined = { ...doc, tasks: [...new Set([...doc.tasks, this.me.pid])] };
        const sentAt = performance.now();
        if ((await this.objects.put(leaseKey(env), JSON.stringify(joined), { ifMatch: current.version.etag })) !== CONFLICT)
          return this.lease(env, joined, sentAt, who.warn);
        continue;
      }
      // The next fencing number: above every lease so far. Only one writer wins the lease below.
      const generation = Math.max((await this.ledger.head(env)).lockGeneration, current?.doc.generation ?? 0) + 1;
      const doc: LeaseDoc = {
        token: randomUUID(),
        env,
        actor: who.actor,
        host: this.me.host,
        runPid: this.me.runPid,
        runStart: this.me.runStart,
        since: new Date(this.now()).toISOString(),
        what: who.what,
        generation,
        expiresAt: new Date(this.now() + this.leaseMs).toISOString(),
        tasks: [this.me.pid],
      };
      const sentAt = performance.now();
      const etag = await this.objects.put(leaseKey(env), JSON.stringify(doc), current ? { ifMatch: current.version.etag } : { ifNoneMatch: true });
      if (etag === CONFLICT) continue;
      let claimed: boolean;
      try {
        // From here on, the ledger refuses writes from every older lease. The head read above may
        // be stale (a lease won, used and released since): then this generation is not above every
        // earlier one, so the lease is given back and taken again with a fresh number.
        claimed = await this.ledger.claimGeneration(env, generation);
        if (claimed && current) await this.abortTakenOver(current.doc, doc, who.warn);
      } catch (err) {
        await this.objects.delete(leaseKey(env), etag).catch(() => undefined); // not left held by nobody
        throw err;
      }
      if (claimed) return this.lease(env, doc, sentAt, who.warn);
      await this.objects.delete(leaseKey(env), etag);
    }
    throw new UserError(`the ${env} lock in ${this.objects.where} changed hands 20 times while being taken; run the deploy again`);
  }

  /** Deploys left `started` by earlier leases are recorded aborted by the one taking over. */
  private async abortTakenOver(old: LeaseDoc, now: LeaseDoc, warn?: (message: string) => void): Promise<void> {
    const head = await this.ledger.head(old.env);
    const unfinished = Object.values(head.recent).flatMap((records) =>
      records.filter((r) => r.status === 'started' && r.generation !== undefined && r.generation < now.generation),
    );
    for (const r of unfinished) {
      warn?.(
        `${r.kind} ${r.project} ${r.version} by ${r.actor} (${r.id}) never finished, its lease expired: ${describeProgress(r)}; recorded as aborted`,
      );
      await this.ledger.append({
        ...r,
        status: 'aborted',
        reason: `its lock lease (${old.actor} on ${old.host}, process ${old.runPid}) expired at ${old.expiresAt} without being renewed; taken over by ${now.actor} (${now.what}); ${describeProgress(r)}`,
        finishedAt: new Date(this.now()).toISOString(),
        generation: now.generation,
      });
    }
  }

  /**
   * Our hold on a lease: renewed by a heartbeat until released; it knows when it was lost. Time is
   * counted on this process's monotonic clock from when the last successful write was sent, and
   * the lease counts as lost a quarter lease before the store could call it expired.
   */
  private lease(env: string, doc: LeaseDoc, sentAt: number, warn?: (message: string) => void): Lease {
    const margin = this.leaseMs / 4;
    let lost: string | undefined;
    let deadline = sentAt + this.leaseMs - margin;
    let failures = 0;
    let lastError = '';
    const renew = async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await this.read(env);
        if (!current || current.doc.token !== doc.token) {
          lost = current
            ? `the ${env} lock was taken over by ${current.doc.actor} on ${current.doc.host} (${current.doc.what})`
            : `the ${env} lock was released by someone else`;
          return;
        }
        const renewed = { ...current.doc, expiresAt: new Date(this.now() + this.leaseMs).toISOString() };
        const sent = performance.now();
        if ((await this.objects.put(leaseKey(env), JSON.stringify(renewed), { ifMatch: current.version.etag })) !== CONFLICT) {
          deadline = sent + this.leaseMs - margin;
          failures = 0;
          return;
        }
      }
    };
    const beat = () =>
      void renew().catch((err: unknown) => {
        failures += 1;
        lastError = (err as Error).message;
        const left = Math.max(0, Math.round((deadline - performance.now()) / 1000));
        warn?.(
          `the ${env} lock's lease could not be renewed (${failures} in a row: ${lastError}); this deploy stops acting in ${left} s unless a renewal succeeds`,
        );
      });
    // Five beats a lease: a renewal that fails has three more chances before the deadline.
    const heartbeat = setInterval(beat, Math.max(200, this.leaseMs / 5));
    heartbeat.unref();
    let released = false;
    return {
      holder: doc,
      generation: doc.generation,
      lost: () =>
        lost ??
        (performance.now() > deadline
          ? `the ${env} lock's lease was not renewed in time${failures ? ` (${failures} renewals failed: ${lastError})` : ''}, so another deploy could take it over (is ${this.objects.where} reachable?)`
          : undefined),
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        for (let attempt = 0; attempt < 20; attempt++) {
          const current = await this.read(env);
          if (!current || current.doc.token !== doc.token) return;
          // Leave the run's lease; the last task out (dead ones aside) deletes it, only if unchanged.
          const tasks = current.doc.tasks.filter((t) => t !== this.me.pid && (current.doc.host !== this.me.host || isAlive(t)));
          const done = tasks.length
            ? await this.objects.put(leaseKey(env), JSON.stringify({ ...current.doc, tasks }), { ifMatch: current.version.etag })
            : await this.objects.delete(leaseKey(env), current.version.etag);
          if (done !== CONFLICT) return;
        }
      },
    };
  }

  async status(env: string): Promise<LockStatus | undefined> {
    const current = await this.read(env);
    return current && { holder: current.doc, tasks: current.doc.tasks, stale: this.expired(current) };
  }

  async forceRelease(env: string, force: boolean): Promise<LockHolder | undefined> {
    const current = await this.read(env);
    if (!current) return undefined;
    const h = current.doc;
    if (!this.expired(current) && !force) {
      throw new UserError(
        `${env} is locked by ${h.actor} on ${h.host} (process ${h.runPid}) and its lease runs until ${h.expiresAt}. ` +
          `Pass --force only if you are sure that deploy is not running any more (an expired lease is taken over by the next deploy anyway).`,
      );
    }
    // Its generation is retired first: whatever still runs under it can no longer write.
    await this.ledger.raiseGeneration(env, h.generation + 1);
    if ((await this.objects.delete(leaseKey(env), current.version.etag)) === CONFLICT) {
      throw new UserError(`the ${env} lock changed while being released; look again with \`npx nx-deploy lock status --env ${env}\``);
    }
    return h;
  }
}
