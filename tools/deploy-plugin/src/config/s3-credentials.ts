import { UserError } from '../core/errors.ts';

/**
 * Pure: the keys an S3 client uses, read from the variables deploy.json names (or the AWS SDK's
 * default chain when it names none), and how to say where they came from. A named variable that
 * is unset is an error before anything runs.
 */
export function s3Credentials(
  names: { accessKeyIdVariable?: string; secretAccessKeyVariable?: string },
  environ: NodeJS.ProcessEnv,
  what: string,
): { credentials?: { accessKeyId: string; secretAccessKey: string }; credentialsFrom: string } {
  const unset = [names.accessKeyIdVariable, names.secretAccessKeyVariable].filter((v): v is string => Boolean(v) && !environ[v!]);
  if (unset.length) {
    throw new UserError(
      `${what} reads its credentials from ${unset.join(' and ')} (deploy.json), which ${unset.length > 1 ? 'are' : 'is'} not set; nothing was run`,
    );
  }
  const accessKeyId = names.accessKeyIdVariable ? environ[names.accessKeyIdVariable] : undefined;
  const secretAccessKey = names.secretAccessKeyVariable ? environ[names.secretAccessKeyVariable] : undefined;
  return accessKeyId && secretAccessKey
    ? { credentials: { accessKeyId, secretAccessKey }, credentialsFrom: `${names.accessKeyIdVariable} / ${names.secretAccessKeyVariable}` }
    : { credentialsFrom: "the AWS SDK's default chain" };
}
