import { randomUUID } from 'node:crypto';
import type { Redactor } from '../../core/redact.ts';
import { UserError } from '../../core/errors.ts';
import type { StateStore } from '../state-store.ts';
import { S3Blobs } from './blobs.ts';
import { S3Ledger } from './ledger.ts';
import { S3Locks } from './lock.ts';
import { CONFLICT, S3Objects, type S3Location } from './objects.ts';

/**
 * Refuses a store that ignores conditional writes (s3rver does: every create-only PUT "wins"), on
 * which a lock would not lock: the same key written create-only twice, then replaced and deleted
 * with a wrong ETag; each of the three must lose.
 */
async function probeConditionalWrites(objects: S3Objects): Promise<void> {
  const key = `probe/${randomUUID()}`;
  try {
    if ((await objects.put(key, 'first', { ifNoneMatch: true })) === CONFLICT) {
      throw new UserError(`the state store ${objects.where} refused a create-only write of a new key (${key}); is the bucket writable?`);
    }
    const ignored =
      (await objects.put(key, 'second', { ifNoneMatch: true })) !== CONFLICT
        ? 'a second create-only write (If-None-Match: *)'
        : (await objects.put(key, 'third', { ifMatch: '"not-its-etag"' })) !== CONFLICT
          ? 'a write with a wrong If-Match'
          : (await objects.delete(key, '"not-its-etag"')) !== CONFLICT
            ? 'a delete with a wrong If-Match'
            : undefined;
    if (ignored) {
      throw new UserError(
        `the state store ${objects.where} ignores conditional writes: ${ignored} of ${key} succeeded, ` +
          `so a lock there would not keep two deploys apart and nothing was run. Use a store that honours them (AWS S3, Cloudflare R2, MinIO, Ceph, versitygw).`,
      );
    }
  } finally {
    await objects.delete(key).catch(() => undefined);
  }
}

/**
 * The state of deploys in any S3-compatible store, checked (bucket, credentials, conditional writes)
 * before use. `readOnly`: opened only to read (with a key that may not write), so not probed.
 */
export async function s3Store(loc: S3Location, leaseSeconds: number, redactor: Redactor, opts: { readOnly?: boolean } = {}): Promise<StateStore> {
  const objects = new S3Objects(loc);
  await objects.checkBucket();
  if (!opts.readOnly) await probeConditionalWrites(objects);
  const ledger = new S3Ledger(objects, redactor);
  return { where: objects.where, ledger, locks: new S3Locks(objects, ledger, leaseSeconds), blobs: new S3Blobs(objects, ledger) };
}
