import type { BlobStore } from '../state-store.ts';
import type { S3Objects } from './objects.ts';

/** Blobs as objects under `blobs/`. */
export class S3Blobs implements BlobStore {
  private readonly objects: S3Objects;

  constructor(objects: S3Objects) {
    this.objects = objects;
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
}
