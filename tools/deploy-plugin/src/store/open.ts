import { resolve } from 'node:path';
import type { z } from 'zod';
import { stateOf, stateSchema, type DeployFile, type StateConfig } from '../config/environments.ts';
import { s3Credentials } from '../config/s3-credentials.ts';
import { UserError } from '../core/errors.ts';
import { sharedStateProblem } from './isolation.ts';
import type { Redactor } from '../core/redact.ts';
import { fileStore } from './file/store.ts';
import type { StateStore } from './state-store.ts';

/**
 * The state store of an environment (deploy.json `state`, the environment's own first), ready to
 * use: an S3 store has been checked (bucket, credentials, conditional writes) before anything
 * runs, so a store that is down or wrong fails a deploy before any side effect. A store an
 * environment with approval shares, credentials and all, with one without is refused. The AWS SDK
 * is loaded only for an S3 store.
 */
export async function openStore(
  file: DeployFile,
  envName: string,
  ctx: { workspaceRoot: string; environ: NodeJS.ProcessEnv; redactor: Redactor },
  opts: { readOnly?: boolean } = {},
): Promise<StateStore> {
  const shared = sharedStateProblem(file, envName);
  if (shared) throw new UserError(shared);
  return openStateConfig(stateOf(file, envName), resolve(ctx.workspaceRoot, file.stateDir), ctx, opts);
}

/**
 * Another environment's store as `reader` reads it (the image it promotes, the load test it
 * requires): with the read-only credentials `reader` names for it (readState), else as that
 * environment's own deploys open it. Never written to.
 */
export async function openStoreToRead(
  file: DeployFile,
  envName: string,
  reader: string,
  ctx: { workspaceRoot: string; environ: NodeJS.ProcessEnv; redactor: Redactor },
): Promise<StateStore> {
  const read = file.environments[reader]?.readState[envName];
  const state = stateOf(file, envName);
  if (!read || state.backend !== 's3') return openStore(file, envName, ctx);
  return openStateConfig({ ...state, ...read }, resolve(ctx.workspaceRoot, file.stateDir), ctx, { readOnly: true });
}

/** A store from a `state` setting (as deploy.json holds it; defaults filled in here). */
export async function openStateConfig(
  input: z.input<typeof stateSchema>,
  stateDir: string,
  ctx: { environ: NodeJS.ProcessEnv; redactor: Redactor },
  opts: { readOnly?: boolean } = {},
): Promise<StateStore> {
  const state: StateConfig = stateSchema.parse(input);
  if (state.backend === 'file') return fileStore(stateDir, ctx.redactor);
  const { credentials, credentialsFrom } = s3Credentials(state, ctx.environ, `the state store s3://${state.bucket}`);
  ctx.redactor.add(credentials?.secretAccessKey);
  const { s3Store } = await import('./s3/store.ts');
  return s3Store(
    {
      bucket: state.bucket,
      prefix: state.prefix.replace(/^\/+/, '').replace(/\/?$/, '/'),
      region: state.region,
      endpoint: state.endpoint,
      forcePathStyle: state.forcePathStyle,
      credentials,
      credentialsFrom,
    },
    state.leaseSeconds,
    ctx.redactor,
    opts,
  );
}
