import type { CreateNodesV2, PostTasksExecution, PreTasksExecution } from '@nx/devkit';
import { createDeployNodes, type DeployPluginOptions } from './inference/create-nodes.ts';
import { DETECTED_FILES } from './inference/detect.ts';
import { RUN_ID_VARIABLE } from './deploy/run-summary.ts';

export type { DeployPluginOptions };

/**
 * Nx plugin entry: infers each project's deploy targets and the deploy graph, and summarizes a run's
 * deploys at its end. Only inference is loaded here; executors load their own code when they run.
 */
export const createNodesV2: CreateNodesV2<DeployPluginOptions> = [
  DETECTED_FILES,
  (configFiles, options, context) => createDeployNodes(configFiles, options, context),
];

/** Nx 23+ prefers this name; both take the same tuple. */
export const createNodes = createNodesV2;

/** Before an Nx run's tasks: they learn the run's id, under which each deploy keeps its record for the run's summary. */
export const preTasksExecution: PreTasksExecution = (_options, context) => {
  process.env[RUN_ID_VARIABLE] = context.id;
};

/**
 * After an Nx run: one summary of every deploy it ran (Nx hides a successful task's output in CI),
 * also written to `$GITHUB_STEP_SUMMARY`. Loaded only then.
 */
export const postTasksExecution: PostTasksExecution = async (_options, context) => {
  const { summarizeRun } = await import('./deploy/run-end.ts');
  summarizeRun(context.workspaceRoot, context.id);
};
