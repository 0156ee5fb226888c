import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { PlanContext, ProjectRef } from '../config/context.ts';
import { environmentOf, loadDeployFile } from '../config/load.ts';
import { deployVariables } from '../config/deploy-variables.ts';
import { fileSecretVariables, type DeployFile, type Environment } from '../config/environments.ts';
import { newDeployId } from '../core/ids.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { Redactor } from '../core/redact.ts';
import { declaredVersion } from './version.ts';

/** Everything a deploy of one project to one environment shares, before anything runs. */
export interface Session {
  file: DeployFile;
  plan: PlanContext;
  env: Environment;
  redactor: Redactor;
  log: Logger;
}

/**
 * Loads and validates deploy.json, picks the environment (refusing a run that names none) and
 * registers the secrets of every environment for redaction. Ephemeral secrets that are unset get a random value for
 * this deploy (development only: the schema refuses them where approval is required). Templates
 * may use the deploy's own variables (config/deploy-variables.ts).
 */
export function openSession(input: {
  workspaceRoot: string;
  project: ProjectRef;
  envName: string | undefined;
  /** What was run, for the error when no environment is named: `api-server:deploy`. */
  target: string;
  environ?: NodeJS.ProcessEnv;
}): Session {
  const redactor = new Redactor();
  const file = loadDeployFile(input.workspaceRoot);
  const { name, env } = environmentOf(file, input.envName, input.target);
  const environ = { ...(input.environ ?? process.env), ...deployVariables(name, env) };
  for (const v of env.ephemeralSecrets) environ[v] ||= randomBytes(24).toString('base64url');
  redactor.addFromEnv(fileSecretVariables(file), environ);
  const plan: PlanContext = {
    workspaceRoot: input.workspaceRoot,
    project: { ...input.project, version: declaredVersion(input.workspaceRoot, input.project) },
    envName: name,
    env,
    stateDir: resolve(input.workspaceRoot, file.stateDir),
    deployId: newDeployId(input.project.name),
    environ,
  };
  return { file, plan, env, redactor, log: createLogger(redactor, input.project.name) };
}
