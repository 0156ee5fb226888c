import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { UserError } from '../../core/errors.ts';
import { createS3Client, explainS3 } from './client.ts';

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
  /**
   * How long ago it was last written, by the store's own clock (its Date header minus the object's
   * Last-Modified, both to the second): a duration no runner's clock skews. Undefined when the
   * store sends either without a value.
   */
  ageMs?: number;
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
 * errors for people: which store, which bucket, what to check.
 */
export class S3Objects {
  readonly where: string;
  private readonly loc: S3Location;
  private readonly client: S3Client;

  constructor(loc: S3Location) {
    this.loc = loc;
    this.where = `s3://${loc.bucket}/${loc.prefix}${loc.endpoint ? ` at ${loc.endpoint}` : ''}`;
    this.client = createS3Client(loc);
  }

  private key(key: string): string {
    return `${this.loc.prefix}${key}`;
  }

  /** Turns an SDK failure into one sentence naming the store; a lost condition is not an error here. */
  private explain(err: unknown, doing: string): never {
    throw explainS3(
      err,
      { what: `the state store ${this.where}`, bucket: this.loc.bucket, bucketField: 'state.bucket', credentialsFrom: this.loc.credentialsFrom },
      doing,
    );
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
      const command = new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.key(key) });
      let serverDate: string | undefined;
      command.middlewareStack.add(
        (next) => async (args) => {
          const out = await next(args);
          serverDate = (out.response as { headers?: Record<string, string> }).headers?.date;
          return out;
        },
        { step: 'deserialize', name: 'nxDeployServerDate' },
      );
      const res = await this.client.send(command);
      const ageMs = serverDate && res.LastModified ? Date.parse(serverDate) - res.LastModified.getTime() : NaN;
      return { body: await res.Body!.transformToString(), etag: res.ETag!, ...(Number.isFinite(ageMs) ? { ageMs } : {}) };
    } catch (err) {
      if ((err as S3ServiceException).name === 'NoSuchKey' || (err as S3ServiceException).$metadata?.httpStatusCode === 404) return undefined;
      this.explain(err, `reading ${key}`);
    }
  }

  /** An object's ETag and user metadata without its body (a backup may be large), or undefined when there is none. */
  async stat(key: string): Promise<{ etag: string; metadata: Record<string, string> } | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key: this.key(key) }));
      return { etag: res.ETag!, metadata: res.Metadata ?? {} };
    } catch (err) {
      if ((err as S3ServiceException).name === 'NotFound' || (err as S3ServiceException).$metadata?.httpStatusCode === 404) return undefined;
      this.explain(err, `reading ${key}`);
    }
  }

  /** A binary object's bytes, or undefined when there is none. */
  async getBytes(key: string): Promise<Buffer | undefined> {
    return (await this.getBytesAndEtag(key))?.bytes;
  }

  private async getBytesAndEtag(key: string): Promise<{ bytes: Buffer; etag: string } | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.key(key) }));
      return { bytes: Buffer.from(await res.Body!.transformToByteArray()), etag: res.ETag! };
    } catch (err) {
      if ((err as S3ServiceException).name === 'NoSuchKey' || (err as S3ServiceException).$metadata?.httpStatusCode === 404) return undefined;
      this.explain(err, `reading ${key}`);
    }
  }

  /** Writes `body`; `ifNoneMatch` creates only, `ifMatch` replaces only that version. Returns the new ETag, or CONFLICT. */
  async put(
    key: string,
    body: string | Buffer,
    cond: { ifNoneMatch?: true; ifMatch?: string } = {},
    contentType = 'application/json',
    metadata?: Record<string, string>,
  ): Promise<string | typeof CONFLICT> {
    try {
      const res = await this.client.send(
        new PutObjectCommand({
          Bucket: this.loc.bucket,
          Key: this.key(key),
          Body: body,
          ContentType: contentType,
          ...(metadata ? { Metadata: metadata } : {}),
          ...(cond.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
          ...(cond.ifMatch ? { IfMatch: cond.ifMatch } : {}),
        }),
      );
      return res.ETag!;
    } catch (err) {
      // A compare-and-swap on an object deleted meanwhile lost too (AWS answers 404 there).
      if (isConflict(err) || (cond.ifMatch && (err as S3ServiceException).$metadata?.httpStatusCode === 404)) {
        return (await this.ownRetriedWrite(key, body, err)) ?? CONFLICT;
      }
      this.explain(err, `writing ${key}`);
    }
  }

  /**
   * The SDK retries a write whose answer was lost (a reset, a timeout); when the first attempt had
   * landed, the retry's condition fails against our own write. Then the object holds exactly what
   * was sent, and its ETag is returned: the write won. Undefined when someone else's write is there.
   */
  private async ownRetriedWrite(key: string, body: string | Buffer, err: unknown): Promise<string | undefined> {
    if (((err as S3ServiceException).$metadata?.attempts ?? 1) < 2) return undefined;
    const stored = await this.getBytesAndEtag(key);
    return stored && stored.bytes.equals(Buffer.from(body)) ? stored.etag : undefined;
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
