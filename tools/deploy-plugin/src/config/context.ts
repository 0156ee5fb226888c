import type { Logger } from '../core/log.ts';
import type { Redactor } from '../core/redact.ts';
import type { Runner } from '../core/run.ts';
import type { Environment } from './environments.ts';

/** A project as Nx resolved it: its folder, the folder its build target writes, its own `version` field. */
export interface ProjectRef {
  name: string;
  root: string;
  /** Workspace-relative folder of the build target's declared outputs, when it declares one. */
  output?: string;
  version?: string;
}

/** What is deployed where, known before anything runs: enough to print a plan. */
export interface PlanContext {
  workspaceRoot: string;
  /** `version` is COMMIT_VERSION (deploy/version.ts) until the deploy knows the commit. */
  project: ProjectRef & { version: string };
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
