import type { ExecutorContext } from '@nx/devkit';
import { environmentOf, loadDeployFile } from '../config/load.ts';
import { fileSecretVariables } from '../config/environments.ts';
import { parseDuration } from '../core/duration.ts';
import { describeError } from '../core/errors.ts';
import { Redactor } from '../core/redact.ts';
import { openStore } from '../store/open.ts';
import { manualRollback } from './manual-rollback.ts';
import { projectOf } from './nx-context.ts';

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
    const file = loadDeployFile(context.root);
    const { name: envName, env } = environmentOf(file, options.environment ?? context.configurationName, `${project.name}:rollback`);
    redactor.addFromEnv(fileSecretVariables(file));
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
