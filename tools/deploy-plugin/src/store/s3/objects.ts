import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { UserError } from '../../core/errors.ts';

export interface S3Location {
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** For messages: which variables hold the credentials. */
  credentialsFrom: string;
}

/** A stored object and the ETag a conditional write compares against. */
export interface Versioned {
  body: string;
  etag: string;
}

/** A conditional write lost: someone wrote (or deleted) the object first. */
export const CONFLICT = 'conflict' as const;

/** A stored JSON document, or an error naming the object when it is damaged. */
export function parseStored<T>(body: string, key: string, objects: { where: string }): T {
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new UserError(
      `${key} in ${objects.where} is not valid JSON (written by something else, or damaged); look at it, fix or remove it, and run again`,
    );
  }
}

/**
 * The few S3 operations the store needs, on keys under the prefix, with conditional writes and
 * errors for people: which store, which bucket, what to check. The SDK retries transient
 * failures (throttling, 5xx, resets) with backoff; what is left is final.
 */
export class S3Objects {
  readonly where: string;
  private readonly loc: S3Location;
  private readonly client: S3Client;

  constructor(loc: S3Location) {
    this.loc = loc;
    this.where = `s3://${loc.bucket}/${loc.prefix}${loc.endpoint ? ` at ${loc.endpoint}` : ''}`;
    this.client = new S3Client({
      region: loc.region,
      endpoint: loc.endpoint,
      forcePathStyle: loc.forcePathStyle,
      credentials: loc.credentials,
      maxAttempts: 4,
      // Plain bodies: stores that keep aws-chunked framing (s3rver) or lack trailer checksums still work.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private key(key: string): string {
    return `${this.loc.prefix}${key}`;
  }

  /** Turns an SDK failure into one sentence naming the store; a lost condition is not an error here. */
  private explain(err: unknown, doing: string): never {
    const e = err as S3ServiceException & { code?: string; cause?: { code?: string } };
    const status = e.$metadata?.httpStatusCode;
    const code = e.code ?? e.cause?.code;
    if (status === 401 || status === 403 || /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch/.test(e.name ?? '')) {
      throw new UserError(`the state store ${this.where} refused the credentials (${this.loc.credentialsFrom}) while ${doing}: check them`);
    }
    if (e.name === 'NoSuchBucket' || (status === 404 && doing.startsWith('checking the bucket'))) {
      throw new UserError(`the state store ${this.where}: bucket ${this.loc.bucket} does not exist; create it, or fix state.bucket in deploy.json`);
    }
    if (!status || code) throw new UserError(`the state store ${this.where} cannot be reached while ${doing} (${code ?? e.message})`);
    throw new UserError(`the state store ${this.where} answered ${status} (${e.name}) while ${doing}`);
  }

  /** Before anything runs: the store answers, the credentials work, the bucket is there. */
  async checkBucket(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.loc.bucket })).catch((err) => {
      try {
        this.explain(err, 'checking the bucket');
      } catch (explained) {
        throw new UserError(`${(explained as Error).message}; nothing was run`);
      }
    });
  }

  async get(key: string): Promise<Versioned | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.key(key) }));
      return { body: await res.Body!.transformToString(), etag: res.ETag! };
    } catch (err) {
      if ((err as S3ServiceException).name === 'NoSuchKey' || (err as S3ServiceException).$metadata?.httpStatusCode === 404) return undefined;
      this.explain(err, `reading ${key}`);
    }
  }

  /** Writes `body`; `ifNoneMatch` creates only, `ifMatch` replaces only that version. Returns the new ETag, or CONFLICT. */
  async put(key: string, body: string, cond: { ifNoneMatch?: true; ifMatch?: string } = {}): Promise<string | typeof CONFLICT> {
    try {
      const res = await this.client.send(
        new PutObjectCommand({
          Bucket: this.loc.bucket,
          Key: this.key(key),
          Body: body,
          ContentType: 'application/json',
          ...(cond.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
          ...(cond.ifMatch ? { IfMatch: cond.ifMatch } : {}),
        }),
      );
      return res.ETag!;
    } catch (err) {
      // A compare-and-swap on an object deleted meanwhile lost too (AWS answers 404 there).
      if (isConflict(err) || (cond.ifMatch && (err as S3ServiceException).$metadata?.httpStatusCode === 404)) return CONFLICT;
      this.explain(err, `writing ${key}`);
    }
  }

  /** Deletes `key`, only that version when `ifMatch` is given. Returns CONFLICT when it changed meanwhile. */
  async delete(key: string, ifMatch?: string): Promise<void | typeof CONFLICT> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.key(key), ...(ifMatch ? { IfMatch: ifMatch } : {}) }));
    } catch (err) {
      if (isConflict(err)) return CONFLICT;
      if ((err as S3ServiceException).$metadata?.httpStatusCode === 404) return;
      this.explain(err, `deleting ${key}`);
    }
  }

  /** Every key under `prefix` (relative to the store's prefix), in key order. */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: this.key(prefix), ContinuationToken: token }))
        .catch((err) => this.explain(err, `listing ${prefix}`));
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key.slice(this.loc.prefix.length));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  destroy(): void {
    this.client.destroy();
  }
}

function isConflict(err: unknown): boolean {
  const e = err as S3ServiceException;
  return (
    e.name === 'PreconditionFailed' ||
    e.$metadata?.httpStatusCode === 412 ||
    e.name === 'ConditionalRequestConflict' ||
    e.$metadata?.httpStatusCode === 409
  );
}
