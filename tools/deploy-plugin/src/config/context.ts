import type { Logger } from '../core/log.ts';
import type { Redactor } from '../core/redact.ts';
import type { Runner } from '../core/run.ts';
import type { Environment } from './environments.ts';

/** What is deployed where, known before anything runs: enough to print a plan. */
export interface PlanContext {
  workspaceRoot: string;
  project: { name: string; root: string; version: string };
  envName: string;
  env: Environment;
  /** Absolute path of the state folder (ledger, locks, backups, service state). */
  stateDir: string;
  deployId: string;
  /** Process environment, with ephemeral secrets filled in when deploying. */
  environ: NodeJS.ProcessEnv;
}

/** A running deploy: the plan's context plus the commit and the means to act and report. */
export interface RunContext extends PlanContext {
  gitSha: string;
  runner: Runner;
  log: Logger;
  redactor: Redactor;
  /** Aborted when the deploy is interrupted: waits end at once and say so. */
  signal: AbortSignal;
}
