import { composeRuntime } from './compose.ts';
import { containerRuntime } from './container.ts';
import { kubernetesRuntime } from './kubernetes.ts';
import { processRuntime } from './process.ts';
import type { Runtime } from './runtime.ts';

/** Every runtime a service can be rolled out with (deploy.json `runtime`). */
export const RUNTIMES: Record<Runtime['name'], Runtime> = {
  process: processRuntime,
  container: containerRuntime,
  compose: composeRuntime,
  kubernetes: kubernetesRuntime,
};
