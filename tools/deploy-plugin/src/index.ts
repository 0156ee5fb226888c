import type { CreateNodesV2 } from '@nx/devkit';
import { createDeployNodes, type DeployPluginOptions } from './inference/create-nodes.ts';
import { DETECTED_FILES } from './inference/detect.ts';

export type { DeployPluginOptions };

/**
 * Nx plugin entry: infers each project's deploy targets and the deploy graph. Only inference is
 * loaded here; executors load their own code when they run.
 */
export const createNodesV2: CreateNodesV2<DeployPluginOptions> = [
  DETECTED_FILES,
  (configFiles, options, context) => createDeployNodes(configFiles, options, context),
];

/** Nx 23+ prefers this name; both take the same tuple. */
export const createNodes = createNodesV2;
