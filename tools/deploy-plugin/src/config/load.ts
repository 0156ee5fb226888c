import { existsSync, readFileSync } from 'node:fs';
import { DEPLOY_FILE, deployFilePath } from './deploy-file-path.ts';
import { UserError } from '../core/errors.ts';
import { deployFileSchema, type DeployFile, type Environment } from './environments.ts';
import { jsonProblem } from './json-errors.ts';
import { parseOrExplain } from './validate.ts';

/** Used when a workspace has no deploy.json: a development environment that needs nothing installed. */
export const EMBEDDED_DEFAULT = { environments: { development: { runtime: 'process' } } };

export function loadDeployFile(workspaceRoot: string): DeployFile {
  const path = deployFilePath(workspaceRoot);
  if (!existsSync(path)) return deployFileSchema.parse(EMBEDDED_DEFAULT);
  const text = readFileSync(path, 'utf8');
  const problem = jsonProblem(text);
  if (problem) throw new UserError(`${path} is not valid JSON, so nothing was run: ${problem}. Fix it there and run again.`);
  const raw: unknown = JSON.parse(text);
  return parseOrExplain(
    deployFileSchema,
    raw,
    path,
    `Fix these fields in ${path} (its JSON Schema, deploy.schema.json in @pod-protocol/nx-deploy, gives completion in editors).`,
  );
}

/**
 * The environment a run names. Nothing is ever deployed to an environment nobody named: Nx passes
 * no configuration to a target that does not declare the one asked for (a misspelt `-c prod`
 * arrives as none), so a run without one is refused, naming the environments there are.
 */
export function environmentOf(
  file: DeployFile,
  name: string | undefined,
  target = 'this command',
  option = '--configuration (-c)',
): { name: string; env: Environment } {
  const known = Object.keys(file.environments).join(', ') || '(none)';
  if (!name) {
    throw new UserError(
      `${target} was given no environment, so nothing was run. Name one with -c (--configuration): ${known} (declared in ${DEPLOY_FILE}). ` +
        `A configuration the target does not declare, such as a misspelt -c prod, reaches it as none.`,
    );
  }
  const env = file.environments[name];
  if (!env) throw new UserError(`unknown environment '${name}': ${DEPLOY_FILE} declares ${known}. Pass one of them with ${option}.`);
  return { name, env };
}
