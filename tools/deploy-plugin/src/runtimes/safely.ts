import { restoreFailed, type RollbackOutcome } from '../core/rollback.ts';

/** A restore that throws (an unset secret, a store that went away) is a failed restore, reported as one. */
export function safely(restoring: Promise<RollbackOutcome>): Promise<RollbackOutcome> {
  return restoring.catch((err: unknown) =>
    restoreFailed(`putting the previous version back failed: ${String((err as Error)?.message ?? err).split('\n')[0]}`),
  );
}
