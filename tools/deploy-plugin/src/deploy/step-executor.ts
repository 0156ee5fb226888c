import type { ExecutorContext } from '@nx/devkit';
import { parseDuration } from '../core/duration.ts';
import { stepEntry } from '../steps/registry.ts';
import { executeDeploy } from './execute.ts';
import { predeployInputs, projectOf } from './nx-context.ts';

/**
 * An Nx executor that runs one step on its own, with the same approval, lock and ledger as a
 * deploy. A roll-out on its own puts its version in service: behind a proxy that is the cut-over,
 * so it runs right after it (without a proxy the roll-out replaced the running version itself).
 */
export function stepExecutor(name: string) {
  return async function run(options: Record<string, unknown>, context: ExecutorContext): Promise<{ success: boolean }> {
    const step = await stepEntry(name)!.load();
    const then = name === 'rollout' ? [{ name: 'cutover', step: await stepEntry('cutover')!.load(), options: {} }] : [];
    let lockWaitMs: number;
    try {
      lockWaitMs = parseDuration((options.lockWait ?? options['lock-wait'] ?? 0) as string | number, '--lock-wait');
    } catch (err) {
      process.stderr.write(`${context.projectName}: ${(err as Error).message}\n`);
      return { success: false };
    }
    const { success } = await executeDeploy({
      workspaceRoot: context.root,
      project: projectOf(context),
      kind: name,
      envName: (options.environment as string | undefined) ?? context.configurationName,
      approve: options.approve === true,
      steps: [{ name, step, options: name === 'predeploy' ? { ...predeployInputs(context), ...options } : options }, ...then],
      lockWaitMs,
    });
    return { success };
  };
}
