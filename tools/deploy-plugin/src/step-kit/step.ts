import type { z } from 'zod';
import { UserError } from '../core/errors.ts';
import type { LoadTestRecord } from '../core/load-measurement.ts';
import type { PlanContext } from '../config/context.ts';
import type { PlannedAction } from '../core/plan.ts';
import type { WatchRecord } from '../core/watch-record.ts';
import type { CanaryStepRecord, RollbackOutcome, ServerRecord } from '../core/rollback.ts';
import type { RuntimeContext } from '../runtimes/runtime.ts';
import type { LedgerStore } from '../store/state-store.ts';
import type { ServerPool } from '../hosts/server-pool.ts';

export interface StepResult {
  /** Set when the step had nothing to do here, saying why (shown as `skipped` in the summary). */
  skipped?: string;
  artifact?: string;
  /** A container image by digest (registry/repository@sha256:...): what a roll-out runs, what production promotes. */
  image?: string;
  backupRef?: string;
  /** The SHA-256 of a backup kept in the state store, checked when it is restored. */
  backupSha256?: string;
  /** What served before this step switched to `artifact` (a CDN release): what its rollback goes back to. */
  previous?: string;
  /** Where what this step deployed or checked answers: the summary's URL column. */
  url?: string;
  detail?: string;
  /** The version serving after this step when it is not the workspace's (a rollback put an earlier one back). */
  version?: string;
  /** A load test's measurement, kept in the ledger record. */
  loadtest?: LoadTestRecord;
  /** A service on servers: what serves on each after this step. */
  servers?: ServerRecord[];
  /** A canary cut-over's steps. */
  canary?: CanaryStepRecord[];
  /** What verification or a canary step sampled and judged: kept in the ledger for the deploy report. */
  watches?: WatchRecord[];
  /**
   * Where this machine reaches the version just started (per server): behind the proxy, before any
   * request is switched to it; with `serves` (Kubernetes), a port-forward to one of its pods.
   */
  direct?: { server?: string; url: string }[];
  /** After this step the deployed version receives traffic (the ledger says so even if the deploy dies next). */
  serves?: boolean;
}

/** A step that failed but measured something the ledger must keep (a load test that missed its budget). */
export class StepFailedWithResult extends UserError {
  readonly result: StepResult;

  constructor(message: string, result: StepResult) {
    super(message);
    this.result = result;
  }
}

/**
 * A watch stopped by a trigger: the deploy's steps undo themselves, the ledger keeps why (and what
 * the step measured), and the alert it raised (`condition`) is resolved once the previous version
 * serves again.
 */
export class TriggerFired extends StepFailedWithResult {
  readonly condition: string;

  constructor(message: string, condition: string, result: StepResult = {}) {
    super(message, result);
    this.condition = condition;
  }
}

export interface StepContext extends RuntimeContext {
  /** Results of the steps that already ran in this deploy, in order. */
  results: StepResult[];
  ledger: LedgerStore;
  /** The ledger of another environment (promotion reads where the image passed), from that environment's store. */
  ledgerOf(env: string): Promise<LedgerStore>;
  /** The environment's servers over SSH, connected on first use and closed when the deploy ends. */
  servers: ServerPool;
  /** The state store is shared (S3), not this machine's folder: what goes there must be fit to be shared. */
  sharedState: boolean;
}

/** A deploy step: its options schema, a pure plan for people, checks before anything runs, the run, and its undo. */
export interface StepDefinition<S extends z.ZodType = z.ZodType> {
  options: S;
  plan(options: z.infer<S>, ctx: PlanContext): PlannedAction[];
  /** Checked for every step before the first one runs: throwing stops the deploy with nothing changed. */
  preflight?(options: z.infer<S>, ctx: StepContext): Promise<void>;
  run(options: z.infer<S>, ctx: StepContext): Promise<StepResult>;
  /**
   * Undoes a successful run when a later step of the same deploy fails (a failed smoke test puts
   * the previous version back). Undefined: nothing of it is to be undone (by configuration).
   */
  rollback?(options: z.infer<S>, ctx: StepContext, result: StepResult): Promise<RollbackOutcome | undefined>;
  /** Every step of the deploy succeeded: let go of what was kept only in case it failed (the version before the previous one). */
  finish?(options: z.infer<S>, ctx: StepContext, result: StepResult): Promise<void>;
}
