import type { Logger } from '../core/log.ts';
import { LockHeld, type Lease, type LeaseRequest, type LockStore } from '../store/state-store.ts';

/**
 * Takes the environment's lock, waiting up to `waitMs` for its holder when asked (CI runners racing
 * for one environment), saying who holds it while it waits; then the holder's error as it is.
 */
export async function acquireLock(
  locks: LockStore,
  env: string,
  who: LeaseRequest,
  opts: { waitMs: number; log: Logger; pollMs?: number },
): Promise<Lease> {
  const deadline = Date.now() + opts.waitMs;
  let told = 0;
  for (;;) {
    try {
      return await locks.acquire(env, who);
    } catch (err) {
      // A stale file lock (its holder's processes are gone) never clears by waiting.
      const stale = err instanceof LockHeld && err.status.stale && !err.status.holder.expiresAt;
      if (!(err instanceof LockHeld) || stale || Date.now() >= deadline) throw err;
      if (Date.now() - told >= 15_000) {
        const h = err.status.holder;
        opts.log.info(
          `waiting for the ${env} lock, held by ${h.actor} on ${h.host} (${h.what}) since ${h.since}; up to ${Math.ceil((deadline - Date.now()) / 1000)} s more`,
        );
        told = Date.now();
      }
      await new Promise((r) => setTimeout(r, Math.min(opts.pollMs ?? 1_000, Math.max(0, deadline - Date.now()))));
    }
  }
}
