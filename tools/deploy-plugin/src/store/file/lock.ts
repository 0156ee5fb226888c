import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { currentRunPid, isAlive } from '../../core/processes.ts';
import { LockHeld, type Lease, type LockHolder, type LockStatus, type LockStore } from '../state-store.ts';

interface LocalLease {
  holder: LockHolder;
  release(): void;
}

/**
 * One lock per environment: a directory created atomically (mkdir/rename fail when it exists),
 * holding who/when/what. Tasks of the same Nx run join the lock (backends deploy in parallel under
 * one lock); each task registers its PID and the last one out removes the lock. A lock whose run
 * and tasks are all dead is stale: reported as such and removable with `nx-deploy lock release`.
 */
export class EnvLock {
  private readonly dir: string;
  private readonly env: string;
  private readonly me: { pid: number; runPid: number; host: string };

  constructor(locksDir: string, env: string, me = { pid: process.pid, runPid: currentRunPid(), host: hostname() }) {
    this.dir = join(locksDir, env);
    this.env = env;
    this.me = me;
  }

  acquire(actor: string, what: string): LocalLease {
    const fresh: LockHolder = {
      token: randomUUID(),
      env: this.env,
      actor,
      host: this.me.host,
      runPid: this.me.runPid,
      since: new Date().toISOString(),
      what,
    };
    if (this.tryCreate(fresh)) return this.join(fresh);
    const status = this.status();
    if (!status) {
      // Released between our attempt and the read: one more try settles it.
      if (this.tryCreate(fresh)) return this.join(fresh);
      throw new UserError(`the ${this.env} lock changed hands while being taken; run the deploy again`);
    }
    const { holder } = status;
    if (holder.host === this.me.host && holder.runPid === this.me.runPid) {
      try {
        return this.join(holder);
      } catch (err) {
        // The run's last other task released the lock between our read and our join: take it anew.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && this.tryCreate(fresh)) return this.join(fresh);
        throw err;
      }
    }
    throw new LockHeld(
      status,
      status.stale
        ? `. That process is gone, so the lock is stale: release it with \`npx nx-deploy lock release --env ${this.env}\` and deploy again.`
        : `. Wait for that deploy to finish (or pass --lock-wait), or see it with \`npx nx-deploy lock status --env ${this.env}\`.`,
    );
  }

  status(): LockStatus | undefined {
    let holder: LockHolder;
    try {
      holder = JSON.parse(readFileSync(join(this.dir, 'holder.json'), 'utf8')) as LockHolder;
    } catch {
      return undefined;
    }
    const tasks = this.taskPids();
    const sameHost = holder.host === this.me.host;
    const stale = sameHost && !isAlive(holder.runPid) && !tasks.some(isAlive);
    return { holder, tasks, stale };
  }

  /** Removes the lock. Refuses a live holder's lock unless forced. */
  forceRelease(force: boolean): LockHolder | undefined {
    const status = this.status();
    if (!status) return undefined;
    if (!status.stale && !force) {
      const h = status.holder;
      throw new UserError(
        `${this.env} is locked by ${h.actor} on ${h.host} (process ${h.runPid}), which is still running. ` +
          `Pass --force only if you are sure that deploy is not running any more.`,
      );
    }
    this.remove();
    return status.holder;
  }

  private tryCreate(holder: LockHolder): boolean {
    mkdirSync(join(this.dir, '..'), { recursive: true });
    const staging = `${this.dir}.${holder.token}.tmp`;
    mkdirSync(join(staging, 'tasks'), { recursive: true });
    writeFileSync(join(staging, 'holder.json'), JSON.stringify(holder, null, 2));
    try {
      renameSync(staging, this.dir);
      return true;
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw err;
    }
  }

  private join(holder: LockHolder): LocalLease {
    const mine = join(this.dir, 'tasks', String(this.me.pid));
    writeFileSync(mine, holder.token);
    let released = false;
    return {
      holder,
      release: () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(mine);
        } catch {
          return; // already removed by a forced release
        }
        if (!this.taskPids().some(isAlive)) this.remove();
      },
    };
  }

  private taskPids(): number[] {
    try {
      return readdirSync(join(this.dir, 'tasks')).map(Number).filter(Number.isInteger);
    } catch {
      return [];
    }
  }

  private remove(): void {
    const trash = `${this.dir}.${randomUUID()}.released`;
    try {
      renameSync(this.dir, trash);
    } catch {
      return;
    }
    rmSync(trash, { recursive: true, force: true });
  }
}

/** The environment locks of the file backend: EnvLock per environment, no fencing needed on one machine. */
export class FileLocks implements LockStore {
  private readonly locksDir: string;

  constructor(locksDir: string) {
    this.locksDir = locksDir;
  }

  async acquire(env: string, who: { actor: string; what: string }): Promise<Lease> {
    const lease = new EnvLock(this.locksDir, env).acquire(who.actor, who.what);
    return { holder: lease.holder, generation: 0, lost: () => undefined, release: async () => lease.release() };
  }

  async status(env: string): Promise<LockStatus | undefined> {
    return new EnvLock(this.locksDir, env).status();
  }

  async forceRelease(env: string, force: boolean): Promise<LockHolder | undefined> {
    return new EnvLock(this.locksDir, env).forceRelease(force);
  }
}
