import { resolve } from 'node:path';
import { loadDeployFile } from '../config/load.ts';
import { printRunSummary } from './run-summary.ts';

/** The end of an Nx run: its deploys' summary, from the state folder deploy.json names. A broken deploy.json was said by the tasks already. */
export function summarizeRun(workspaceRoot: string, runId: string): void {
  let stateDir: string;
  try {
    stateDir = resolve(workspaceRoot, loadDeployFile(workspaceRoot).stateDir);
  } catch {
    return;
  }
  printRunSummary(stateDir, runId);
}
