import { S3Client, type S3ServiceException } from '@aws-sdk/client-s3';
import { UserError } from '../../core/errors.ts';

/** What an S3 error message names: the store (`the state store s3://b/p`), its bucket, where the bucket is configured, whose credentials. */
export interface S3Subject {
  what: string;
  bucket: string;
  bucketField: string;
  credentialsFrom: string;
}

/** One sentence for people from an SDK failure: credentials refused, no bucket, unreachable, or the status. */
export function explainS3(err: unknown, s: S3Subject, doing: string): UserError {
  const e = err as S3ServiceException & { code?: string; cause?: { code?: string } };
  const status = e.$metadata?.httpStatusCode;
  const code = e.code ?? e.cause?.code;
  if (status === 401 || status === 403 || /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch/.test(e.name ?? '')) {
    return new UserError(`${s.what} refused the credentials (${s.credentialsFrom}) while ${doing}: check them`);
  }
  if (e.name === 'NoSuchBucket' || (status === 404 && doing.startsWith('checking the bucket'))) {
    return new UserError(`${s.what}: bucket ${s.bucket} does not exist; create it, or fix ${s.bucketField} in deploy.json`);
  }
  if (!status || code) return new UserError(`${s.what} cannot be reached while ${doing} (${code ?? e.message})`);
  return new UserError(`${s.what} answered ${status} (${e.name}) while ${doing}`);
}

/**
 * A client for any S3-compatible store. The SDK retries transient failures (throttling, 5xx,
 * resets) with backoff. Plain bodies: stores that keep aws-chunked framing (s3rver) or lack
 * trailer checksums still work.
 */
export function createS3Client(loc: {
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): S3Client {
  return new S3Client({
    region: loc.region,
    endpoint: loc.endpoint,
    forcePathStyle: loc.forcePathStyle,
    credentials: loc.credentials,
    maxAttempts: 4,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
