import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { deployFileSchema, type DeployFile, type Environment } from './environments.ts';
import { parseOrExplain } from './validate.ts';

export const DEPLOY_FILE = 'deploy.json';

/** Used when a workspace has no deploy.json: a development environment that needs nothing installed. */
export const EMBEDDED_DEFAULT = { environments: { development: { runtime: 'process' } } };

export function loadDeployFile(workspaceRoot: string): DeployFile {
  const path = join(workspaceRoot, DEPLOY_FILE);
  if (!existsSync(path)) return deployFileSchema.parse(EMBEDDED_DEFAULT);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${DEPLOY_FILE} is not valid JSON, so nothing was run: ${(err as Error).message}`);
  }
  return parseOrExplain(
    deployFileSchema,
    raw,
    DEPLOY_FILE,
    `Fix these fields in ${path} (its JSON Schema, deploy.schema.json in @pod-protocol/nx-deploy, gives completion in editors).`,
  );
}

export function environmentOf(file: DeployFile, name: string | undefined): { name: string; env: Environment } {
  const envName = name ?? 'development';
  const env = file.environments[envName];
  if (!env) {
    const known = Object.keys(file.environments).join(', ') || '(none)';
    throw new UserError(`unknown environment '${envName}': ${DEPLOY_FILE} declares ${known}. Pass one of them with --configuration (-c).`);
  }
  return { name: envName, env };
}
