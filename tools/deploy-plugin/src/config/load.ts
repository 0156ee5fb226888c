import { existsSync, readFileSync } from 'node:fs';
import { DEPLOY_FILE, deployFilePath } from './deploy-file-path.ts';
import { UserError } from '../core/errors.ts';
import { deployFileSchema, type DeployFile, type Environment } from './environments.ts';
import { parseOrExplain } from './validate.ts';


/** Used when a workspace has no deploy.json: a development environment that needs nothing installed. */
export const EMBEDDED_DEFAULT = { environments: { development: { runtime: 'process' } } };

export function loadDeployFile(workspaceRoot: string): DeployFile {
  const path = deployFilePath(workspaceRoot);
  if (!existsSync(path)) return deployFileSchema.parse(EMBEDDED_DEFAULT);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path} is not valid JSON, so nothing was run: ${(err as Error).message}`);
  }
  return parseOrExplain(
    deployFileSchema,
    raw,
    path,
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
