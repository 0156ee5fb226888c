import { LeaseLost, type BlobStore } from '../state-store.ts';
import type { S3Ledger } from './ledger.ts';
import { CONFLICT, type S3Objects } from './objects.ts';

/** The user metadata (x-amz-meta-…) a fenced write stamps on a blob: the lease generation it was written under. */
const GENERATION = 'nx-deploy-generation';

/** Blobs as objects under `blobs/`. */
export class S3Blobs implements BlobStore {
  private readonly objects: S3Objects;
  private readonly ledger: S3Ledger;

  constructor(objects: S3Objects, ledger: S3Ledger) {
    this.objects = objects;
    this.ledger = ledger;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.objects.get(`blobs/${key}`))?.body;
  }

  async put(key: string, body: string): Promise<void> {
    await this.objects.put(`blobs/${key}`, body);
  }

  async getBytes(key: string): Promise<Buffer | undefined> {
    return this.objects.getBytes(`blobs/${key}`);
  }

  async putBytes(key: string, body: Buffer): Promise<void> {
    await this.objects.put(`blobs/${key}`, body, {}, 'application/octet-stream');
  }

  /**
   * The blobs as a deploy holding `generation` of `env`'s lease writes them: a write is refused
   * (LeaseLost) once a newer lease exists (the ledger head's generation, what ledger writes are
   * fenced by), and never replaces a blob stamped by a newer lease: each blob carries the
   * generation it was written under and is replaced only by compare-and-swap.
   */
  fenced(env: string, generation: number): BlobStore {
    const write = (key: string, body: string | Buffer, contentType: string) => this.fencedPut(env, generation, `blobs/${key}`, body, contentType);
    return {
      get: (key) => this.get(key),
      getBytes: (key) => this.getBytes(key),
      put: (key, body) => write(key, body, 'application/json'),
      putBytes: (key, body) => write(key, body, 'application/octet-stream'),
    };
  }

  private async fencedPut(env: string, generation: number, key: string, body: string | Buffer, contentType: string): Promise<void> {
    const refuse = (newer: number, where: string) =>
      new LeaseLost(
        `the ${env} lock was taken over by a newer deploy (lease ${newer}${where}; this one held ${generation}), so this deploy may not write ${key} in the state store any more`,
      );
    for (let attempt = 0; attempt < 20; attempt++) {
      const fence = (await this.ledger.head(env)).lockGeneration;
      if (fence > generation) throw refuse(fence, '');
      const current = await this.objects.stat(key);
      const stamped = Number(current?.metadata[GENERATION] ?? 0);
      if (stamped > generation) throw refuse(stamped, `, which wrote it last`);
      const cond = current ? { ifMatch: current.etag } : { ifNoneMatch: true as const };
      if ((await this.objects.put(key, body, cond, contentType, { [GENERATION]: String(generation) })) !== CONFLICT) return;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
    }
    throw new LeaseLost(`${key} in the state store kept changing under 20 attempts to write it; another deploy of ${env} is writing it`);
  }
}
