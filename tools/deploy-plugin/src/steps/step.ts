import type { z } from 'zod';
import type { Environment } from '../config/environments.ts';
import type { Logger } from '../core/log.ts';
import type { Redactor } from '../core/redact.ts';
import type { Command, Runner } from '../core/run.ts';

/** What a step knows without running anything: enough to print its plan. */
export interface PlanContext {
  workspaceRoot: string;
  project: { name: string; root: string; version: string };
  envName: string;
  env: Environment;
  /** Absolute path of the state folder (ledger, locks, backups, local services). */
  stateDir: string;
  deployId: string;
  /** Process environment, with ephemeral secrets filled in when deploying. */
  environ: NodeJS.ProcessEnv;
}

export interface StepContext extends PlanContext {
  gitSha: string;
  /** Results of the steps that already ran in this deploy, by step name (e.g. the image digest). */
  outputs: Record<string, StepResult>;
  runner: Runner;
  log: Logger;
  redactor: Redactor;
}

export interface StepResult {
  /** Set when the step had nothing to do here, saying why (shown as `skipped` in the summary). */
  skipped?: string;
  artifact?: string;
  /** A container image by digest (registry/repository@sha256:...): what a roll-out runs, what production promotes. */
  image?: string;
  backupRef?: string;
  url?: string;
  detail?: string;
}

export interface PlannedAction {
  title: string;
  command?: Command;
}

/** A deploy step: its options schema, a pure plan for people, and the run itself. */
export interface StepDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  options: S;
  plan(options: z.infer<S>, ctx: PlanContext): PlannedAction[];
  run(options: z.infer<S>, ctx: StepContext): Promise<StepResult>;
  /**
   * Undoes a successful run when a later step of the same deploy fails (a failed smoke test puts
   * the previous version back). Returns what it restored, for people.
   */
  rollback?(options: z.infer<S>, ctx: StepContext, result: StepResult): Promise<string>;
}
