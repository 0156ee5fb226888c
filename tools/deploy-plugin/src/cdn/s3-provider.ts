import { CopyObjectCommand, DeleteObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Site } from '../config/cdn.ts';
import { mapLimit } from '../core/pool.ts';
import { createS3Client, explainS3, type S3Subject } from '../store/s3/client.ts';
import type { SiteFile } from './build-files.ts';
import { IMMUTABLE, REVALIDATE } from './content-types.ts';
import { entryOrder, type ReleaseManifest } from './manifest.ts';
import { onlyIn, type CdnProvider, type StageResult } from './provider.ts';

/** Uploads at once: S3 takes many parallel PUTs; most site files are small. */
const PARALLEL = 32;
/** Where each release keeps a copy of its entry points, for the switch and for a rollback. */
const RELEASES = '_releases';

/**
 * A bucket (under a prefix): assets at their paths, uploaded first and cached for a year; each
 * release's entry points stored under _releases/<id>/ with the assets, then copied to their
 * live paths (server-side, index.html last) to switch. A rollback copies an older release's
 * entry points back: no upload.
 */
export class S3Provider implements CdnProvider {
  readonly where: string;
  private readonly site: S3Site;
  private readonly prefix: string;
  private readonly client: S3Client;
  private readonly subject: S3Subject;
  private readonly invalidate?: (paths: string[], releaseId: string) => Promise<void>;

  constructor(
    site: S3Site,
    credentials: { credentials?: { accessKeyId: string; secretAccessKey: string }; credentialsFrom: string },
    field: string,
    invalidate?: (paths: string[], releaseId: string) => Promise<void>,
  ) {
    this.site = site;
    this.prefix = site.prefix.replace(/^\/+/, '').replace(/([^/])$/, '$1/');
    this.where = `s3://${site.bucket}/${this.prefix}${site.endpoint ? ` at ${site.endpoint}` : ''}`;
    this.client = createS3Client({ ...site, credentials: credentials.credentials });
    this.subject = {
      what: `the CDN bucket ${this.where}`,
      bucket: site.bucket,
      bucketField: `${field}.bucket`,
      credentialsFrom: credentials.credentialsFrom,
    };
    this.invalidate = invalidate;
  }

  private async send<T>(doing: string, call: (client: S3Client) => Promise<T>): Promise<T> {
    try {
      return await call(this.client);
    } catch (err) {
      throw explainS3(err, this.subject, doing);
    }
  }

  async check(): Promise<void> {
    await this.send('checking the bucket', (c) => c.send(new HeadBucketCommand({ Bucket: this.site.bucket }))).catch((err: Error) => {
      throw Object.assign(err, { message: `${err.message}; nothing was run` });
    });
  }

  /** Every object under the prefix: its key (relative to the prefix) and its ETag, unquoted. */
  private async inventory(): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    let token: string | undefined;
    do {
      const res = await this.send('listing the site', (c) =>
        c.send(new ListObjectsV2Command({ Bucket: this.site.bucket, Prefix: this.prefix, ContinuationToken: token })),
      );
      for (const o of res.Contents ?? []) if (o.Key) found.set(o.Key.slice(this.prefix.length), (o.ETag ?? '').replace(/"/g, '').toLowerCase());
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  private copyKey(id: string, path: string): string {
    return `${RELEASES}/${id}/${path}`;
  }

  /** Where a file of a release is stored: an asset at its path, an entry point in the release's copy. */
  private storedAt(release: ReleaseManifest, f: { path: string; immutable: boolean }): string {
    return f.immutable ? f.path : this.copyKey(release.id, f.path);
  }

  async stage(release: ReleaseManifest, files: SiteFile[], known: ReleaseManifest[], uploaded: (path: string) => void): Promise<StageResult> {
    const stored = await this.inventory();
    // An asset another release stored with this content is there, whatever ETag the store gives it (SSE-KMS).
    const knownAssets = new Set(known.flatMap((m) => m.files.filter((f) => f.immutable).map((f) => `${f.path}\0${f.sha256}`)));
    const result: StageResult = { uploaded: 0, uploadedBytes: 0, reused: 0 };
    const todo = files.filter((f) => {
      const key = this.storedAt(release, f);
      const etag = stored.get(key);
      const present = etag !== undefined && (etag === f.md5 || (f.immutable && knownAssets.has(`${f.path}\0${f.sha256}`)));
      if (present) result.reused++;
      return !present;
    });
    await mapLimit(todo, PARALLEL, async (f) => {
      const key = this.storedAt(release, f);
      await this.send(`uploading ${key}`, (c) =>
        c.send(
          new PutObjectCommand({
            Bucket: this.site.bucket,
            Key: `${this.prefix}${key}`,
            Body: f.body(),
            ContentType: f.type,
            CacheControl: f.immutable ? IMMUTABLE : REVALIDATE,
            Metadata: { sha256: f.sha256 },
          }),
        ),
      );
      uploaded(f.path);
      result.uploaded++;
      result.uploadedBytes += f.size;
    });
    return result;
  }

  async missing(release: ReleaseManifest, paths: string[]): Promise<string[]> {
    const stored = await this.inventory();
    const byPath = new Map(release.files.map((f) => [f.path, f]));
    return paths.filter((p) => {
      const f = byPath.get(p);
      return !f || !stored.has(this.storedAt(release, f));
    });
  }

  async serve(release: ReleaseManifest): Promise<{ switched: number }> {
    const live = await this.inventory();
    const changed = entryOrder(release.files).filter((f) => live.get(f.path) !== f.md5);
    // One at a time, in order: index.html, which references everything else, goes live last.
    for (const f of changed) {
      await this.send(`switching ${f.path} to release ${release.id}`, (c) =>
        c.send(
          new CopyObjectCommand({
            Bucket: this.site.bucket,
            Key: `${this.prefix}${f.path}`,
            CopySource: encodeURI(`${this.site.bucket}/${this.prefix}${this.copyKey(release.id, f.path)}`),
            MetadataDirective: 'REPLACE',
            ContentType: f.type,
            CacheControl: REVALIDATE,
            Metadata: { sha256: f.sha256, release: release.id },
          }),
        ),
      );
    }
    if (changed.length && this.invalidate)
      await this.invalidate(
        changed.map((f) => `/${this.prefix}${f.path}`),
        release.id,
      );
    return { switched: changed.length };
  }

  async remove(expired: ReleaseManifest[], kept: ReleaseManifest[]): Promise<{ deleted: number }> {
    const keys = [
      ...onlyIn(expired, kept).map((f) => f.path),
      ...expired.flatMap((m) => m.files.filter((f) => !f.immutable).map((f) => this.copyKey(m.id, f.path))),
    ];
    await mapLimit(keys, PARALLEL, (key) =>
      this.send(`deleting ${key}`, (c) => c.send(new DeleteObjectCommand({ Bucket: this.site.bucket, Key: `${this.prefix}${key}` }))),
    );
    return { deleted: keys.length };
  }

  close(): void {
    this.client.destroy();
  }
}
