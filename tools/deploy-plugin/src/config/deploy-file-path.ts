import { resolve } from 'node:path';

export const DEPLOY_FILE = 'deploy.json';

/**
 * deploy.json at the workspace root, or the file NX_DEPLOY_FILE names (relative to the root).
 * Kept apart from the schema so inference reads it without loading zod.
 */
export function deployFilePath(workspaceRoot: string, environ: NodeJS.ProcessEnv = process.env): string {
  return resolve(workspaceRoot, environ.NX_DEPLOY_FILE || DEPLOY_FILE);
}
