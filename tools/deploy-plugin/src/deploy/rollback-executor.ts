import type { ExecutorContext } from '@nx/devkit';
import { parseDuration } from '../core/duration.ts';
import { describeError } from '../core/errors.ts';
import { Redactor } from '../core/redact.ts';
import { openStore } from '../store/open.ts';
import { manualRollback } from './manual-rollback.ts';
import { projectOf } from './nx-context.ts';
import { openEnvironment } from './session.ts';

export interface RollbackOptions {
  environment?: string;
  to?: string;
  database?: boolean;
  approve?: boolean;
  lockWait?: string | number;
  'lock-wait'?: string | number;
}

/** The inferred `rollback` target: `nx run api-server:rollback -c staging [--to x] [--database]`, as `nx-deploy rollback` does it. */
export async function rollbackExecutor(options: RollbackOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const project = projectOf(context);
  const redactor = new Redactor();
  try {
    const { file, name: envName } = openEnvironment({
      workspaceRoot: context.root,
      envName: options.environment ?? context.configurationName,
      target: `${project.name}:rollback`,
      redactor,
    });
    const store = await openStore(file, envName, { workspaceRoot: context.root, environ: process.env, redactor });
    const config = context.projectsConfigurations.projects[project.name]!;
    const rollout = config.targets?.rollout;
    const success = await manualRollback({
      workspaceRoot: context.root,
      envName,
      store,
      name: project.name,
      project: async () => ({
        ...project,
        tags: config.tags ?? [],
        rolloutOptions: { ...(rollout?.options ?? {}), ...(rollout?.configurations?.[envName] ?? {}) },
      }),
      to: options.to,
      database: options.database === true,
      approve: options.approve === true,
      lockWaitMs: parseDuration(options.lockWait ?? options['lock-wait'] ?? 0, '--lock-wait'),
    });
    return { success };
  } catch (err) {
    process.stderr.write(`${project.name}: ${describeError(err, redactor.redact)}\n`);
    return { success: false };
  }
}
