import { stateOf, type DeployFile, type StateConfig } from '../config/environments.ts';

type S3State = Extract<StateConfig, { backend: 's3' }>;

const place = (s: S3State) => `s3://${s.bucket}/${s.prefix.replace(/^\/+/, '').replace(/\/?$/, '/')}${s.endpoint ? ` at ${s.endpoint}` : ''}`;

/**
 * Pure: why `envName`'s state may not be trusted, if it may not. An environment that requires
 * approval must not keep its records where an environment without approval writes with the same
 * credentials: anything that runs in that job (a push to a branch, a dependency's install script)
 * could plant the records production acts on (the image it promotes, the load test it requires).
 */
export function sharedStateProblem(file: DeployFile, envName: string): string | undefined {
  const envs = Object.entries(file.environments);
  const own = file.environments[envName];
  if (!own) return undefined;
  const pairs = own.approval.required
    ? envs.filter(([, e]) => !e.approval.required).map(([name]) => [envName, name] as const)
    : envs.filter(([, e]) => e.approval.required).map(([name]) => [name, envName] as const);
  for (const [guarded, open] of pairs) {
    const a = stateOf(file, guarded);
    const b = stateOf(file, open);
    if (a.backend !== 's3' || b.backend !== 's3' || place(a) !== place(b)) continue;
    if (a.accessKeyIdVariable !== b.accessKeyIdVariable || a.secretAccessKeyVariable !== b.secretAccessKeyVariable) continue;
    const keys = a.accessKeyIdVariable ? `${a.accessKeyIdVariable} / ${a.secretAccessKeyVariable}` : "the AWS SDK's default credentials";
    return (
      `environments.${guarded} (approval required) and environments.${open} keep their state in the same store, ${place(a)}, with the same credentials (${keys}): ` +
      `whatever runs in a ${open} job could write the records ${guarded} trusts (the image it promotes, the load test it requires). ` +
      `Give ${guarded} a state of its own (environments.${guarded}.state: another prefix or bucket, and credentials ${open}'s jobs never get), ` +
      `and let it read ${open}'s records with read-only credentials (environments.${guarded}.readState.${open}). Nothing was run.`
    );
  }
  return undefined;
}
