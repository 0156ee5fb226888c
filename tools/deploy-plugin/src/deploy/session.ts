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

/** deploy.json and one of its environments, opened as every entry point opens them. */
export interface OpenedEnvironment {
  file: DeployFile;
  name: string;
  env: Environment;
  /** Knows the secrets of every environment (a staging run must not print production's either). */
  redactor: Redactor;
}

/**
 * Loads and validates deploy.json, picks the environment (refusing none, or one it does not
 * declare, naming `option`) and registers the secrets every environment names, as set in
 * `environ`, for redaction. The one way deploys, single steps, rollbacks, releases and the CLI
 * start.
 */
export function openEnvironment(input: {
  workspaceRoot: string;
  /** The environment, or how deploy.json names it (the release's). */
  envName: string | undefined | ((file: DeployFile) => string | undefined);
  /** What was run, for the error when no environment is named: `api-server:deploy`. */
  target?: string;
  /** How the environment is chosen there: `--configuration (-c)` (Nx), `--env` (the CLI). */
  option?: string;
  environ?: NodeJS.ProcessEnv;
  redactor?: Redactor;
}): OpenedEnvironment {
  const redactor = input.redactor ?? new Redactor();
  const file = loadDeployFile(input.workspaceRoot);
  redactor.addFromEnv(fileSecretVariables(file), input.environ ?? process.env);
  const wanted = typeof input.envName === 'function' ? input.envName(file) : input.envName;
  const { name, env } = environmentOf(file, wanted, input.target, input.option);
  return { file, name, env, redactor };
}

/**
 * A deploy's environment opened (openEnvironment). Ephemeral secrets that are unset get a random
 * value for this deploy (development only: the schema refuses them where approval is required),
 * registered for redaction too. Templates may use the deploy's own variables (config/deploy-variables.ts).
 */
export function openSession(input: {
  workspaceRoot: string;
  project: ProjectRef;
  envName: string | undefined;
  /** What was run, for the error when no environment is named: `api-server:deploy`. */
  target: string;
  environ?: NodeJS.ProcessEnv;
}): Session {
  const { file, name, env, redactor } = openEnvironment(input);
  const environ = { ...(input.environ ?? process.env), ...deployVariables(name, env) };
  for (const v of env.ephemeralSecrets) environ[v] ||= randomBytes(24).toString('base64url');
  redactor.addFromEnv(env.ephemeralSecrets, environ);
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
