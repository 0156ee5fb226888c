import type { ExecutorContext } from '@nx/devkit';
import { executeDeploy } from './execute.ts';
import { projectOf, stepRequests } from './nx-context.ts';
import { parseDuration } from '../core/duration.ts';
import { describeError } from '../core/errors.ts';

export interface DeployOptions {
  environment?: string;
  steps?: string[];
  approve?: boolean;
  force?: boolean;
  lockWait?: string | number;
  'lock-wait'?: string | number;
}

/** Runs the project's deploy steps in order under one lock and one ledger record. */
export async function deployExecutor(options: DeployOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const project = projectOf(context);
  let steps;
  let lockWaitMs;
  try {
    steps = await stepRequests(context, options.steps ?? []);
    lockWaitMs = parseDuration(options.lockWait ?? options['lock-wait'] ?? 0, '--lock-wait');
  } catch (err) {
    process.stderr.write(`${project.name}: ${describeError(err, (t) => t)}\n`);
    return { success: false };
  }
  const { success } = await executeDeploy({
    workspaceRoot: context.root,
    project,
    kind: 'deploy',
    envName: options.environment ?? context.configurationName,
    approve: options.approve === true,
    force: options.force === true,
    steps,
    lockWaitMs,
  });
  return { success };
}
