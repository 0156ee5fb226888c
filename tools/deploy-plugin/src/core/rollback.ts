import { UserError } from './errors.ts';

/**
 * What undoing a failed deploy achieved, as data: an operator reading the ledger must be able to
 * tell "the previous version serves again" from "nothing serves" and "someone must act now".
 */
export type RollbackOutcome =
  /** The previous version runs again and was checked healthy; `serving` names it. */
  (
    | { outcome: 'restored'; serving: string; detail: string }
    /** There was no previous version (a first deploy): nothing serves now. */
    | { outcome: 'nothing-to-restore'; detail: string }
    /** Putting the previous version back did not work: manual action is needed; `detail` says what was tried. */
    | { outcome: 'restore-failed'; detail: string }
  ) & {
    /** A service on several servers: what serves on each now. */
    servers?: ServerRecord[];
    /** When undoing began and ended (the switch back happened in between). */
    startedAt?: string;
    finishedAt?: string;
  };

/** One canary step of a cut-over as the ledger keeps it: its share of requests, how long it was watched, what came of it. */
export interface CanaryStepRecord {
  weight: number;
  pause: string;
  /** When its share was switched to the new version. */
  startedAt?: string;
  verdict: 'passed' | 'breached';
  /** The trigger that fired. */
  detail?: string;
}

/** What serves on one of a service's servers after a roll-out, or after undoing one. */
export interface ServerRecord {
  /** The server as deploy.json names it. */
  server: string;
  /** Where the service answers there. */
  url: string;
  /** The version and image serving there now, `nothing`, or `unknown` (a restore that failed). */
  serves: string;
  /**
   * deployed: the new version; rolled back: the previous one again; unchanged: the roll-out stopped
   * before it; failed: its start failed and what is there was not restored (see serves).
   */
  state: 'deployed' | 'rolled back' | 'unchanged' | 'failed';
}

export const restored = (serving: string, detail: string): RollbackOutcome => ({ outcome: 'restored', serving, detail });
export const nothingToRestore = (detail = 'no previous version; nothing serves now'): RollbackOutcome => ({ outcome: 'nothing-to-restore', detail });
export const restoreFailed = (tried: string): RollbackOutcome => ({ outcome: 'restore-failed', detail: `manual action needed: ${tried}` });

const SEVERITY = { restored: 0, 'nothing-to-restore': 1, 'restore-failed': 2 } as const;

/**
 * Pure: one outcome for a deploy whose steps each undid themselves: the worst one wins, so a
 * deploy is only `restored` when every step that had something to undo put it back.
 */
export function combineOutcomes(outcomes: RollbackOutcome[]): RollbackOutcome | undefined {
  if (!outcomes.length) return undefined;
  const worst = outcomes.reduce((a, b) => (SEVERITY[b.outcome] > SEVERITY[a.outcome] ? b : a));
  if (outcomes.length === 1) return worst;
  const servers = outcomes.flatMap((o) => o.servers ?? []);
  return { ...worst, detail: outcomes.map((o) => o.detail).join('; '), ...(servers.length ? { servers } : {}) };
}

/** The ledger status of a failed deploy: rolled back only when the previous version serves again. */
export function failedStatus(outcome: RollbackOutcome | undefined): 'rolled_back' | 'failed' {
  return outcome?.outcome === 'restored' ? 'rolled_back' : 'failed';
}

/** One line for people: "restored: 0.1.0 (sha 1234abcd) serves again (healthy in 1.2 s)". */
export function describeOutcome(o: RollbackOutcome): string {
  switch (o.outcome) {
    case 'restored':
      return `rolled back: ${o.serving} serves again (${o.detail})`;
    case 'nothing-to-restore':
      return `not rolled back: ${o.detail}`;
    case 'restore-failed':
      return `ROLLBACK FAILED, ${o.detail}`;
  }
}

/** A step failed and already undid itself (a roll-out that never became healthy); the outcome is reported apart. */
export class FailedWithRollback extends UserError {
  readonly rollback: RollbackOutcome;

  constructor(message: string, rollback: RollbackOutcome) {
    super(message);
    this.rollback = rollback;
  }
}
