import { fileSafeName } from '../core/names.ts';
import { UserError } from '../core/errors.ts';
import type { BlobStore } from '../store/state-store.ts';
import type { ReleaseManifest } from './manifest.ts';
import type { ReleaseIndex } from './retention.ts';

/** A site's release index and manifests in the state store, so every runner sees the same releases. */
export class SiteReleases {
  private readonly blobs: BlobStore;
  private readonly base: string;

  constructor(blobs: BlobStore, env: string, project: string) {
    this.blobs = blobs;
    this.base = `cdn/${env}/${fileSafeName(project)}`;
  }

  async index(): Promise<ReleaseIndex> {
    const body = await this.blobs.get(`${this.base}/index.json`);
    return body ? (JSON.parse(body) as ReleaseIndex) : { releases: [] };
  }

  async saveIndex(index: ReleaseIndex): Promise<void> {
    await this.blobs.put(`${this.base}/index.json`, JSON.stringify(index, null, 2));
  }

  async manifest(id: string): Promise<ReleaseManifest> {
    const body = await this.blobs.get(`${this.base}/releases/${id}.json`);
    if (!body) throw new UserError(`the manifest of release ${id} is missing from the state store (${this.base}/releases/${id}.json)`);
    return JSON.parse(body) as ReleaseManifest;
  }

  async saveManifest(m: ReleaseManifest): Promise<void> {
    await this.blobs.put(`${this.base}/releases/${m.id}.json`, JSON.stringify(m));
  }
}
