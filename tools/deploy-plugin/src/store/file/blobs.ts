import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BlobStore } from '../state-store.ts';

/** Blobs as files under the state folder, written whole through a rename (a crash leaves the old or the new one). */
export class FileBlobs implements BlobStore {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  async get(key: string): Promise<string | undefined> {
    const path = join(this.dir, key);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  }

  async getBytes(key: string): Promise<Buffer | undefined> {
    const path = join(this.dir, key);
    return existsSync(path) ? readFileSync(path) : undefined;
  }

  async putBytes(key: string, body: Buffer): Promise<void> {
    return this.put(key, body);
  }

  async put(key: string, body: string | Buffer): Promise<void> {
    const path = join(this.dir, key);
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, body, { mode: 0o600 });
    renameSync(tmp, path);
  }
}
