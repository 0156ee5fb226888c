import type { Logger } from '../core/log.ts';
import { poll } from '../core/poll.ts';
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
  let lastHeld: LockHeld | undefined;
  const taken = await poll(
    async () => {
      try {
        return { value: await locks.acquire(env, who) };
      } catch (err) {
        // A stale file lock (its holder's processes are gone) never clears by waiting.
        const stale = err instanceof LockHeld && err.status.stale && !err.status.holder.expiresAt;
        if (!(err instanceof LockHeld) || stale || opts.waitMs <= 0) throw err;
        lastHeld = err;
        const h = err.status.holder;
        return `held by ${h.actor} on ${h.host} (${h.what}) since ${h.since}`;
      }
    },
    {
      deadlineMs: opts.waitMs,
      intervalMs: opts.pollMs ?? 1_000,
      progress: {
        everyMs: 15_000,
        say: (held, left) => opts.log.info(`waiting for the ${env} lock, ${held}; up to ${Math.ceil(left / 1000)} s more`),
      },
    },
  );
  if ('value' in taken) return taken.value;
  throw lastHeld!;
}
