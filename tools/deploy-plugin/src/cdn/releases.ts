import { fileSafeName } from '../core/names.ts';
import { UserError } from '../core/errors.ts';
import type { BlobStore } from '../store/state-store.ts';
import type { ReleaseManifest } from './manifest.ts';
import type { ReleaseIndex } from './retention.ts';
import { checkedIndex, checkedManifest } from './release-records.ts';

/** A site's release index and manifests in the state store, so every runner sees the same releases. */
export class SiteReleases {
  private readonly blobs: BlobStore;
  private readonly base: string;

  constructor(blobs: BlobStore, env: string, project: string) {
    this.blobs = blobs;
    this.base = `cdn/${env}/${fileSafeName(project)}`;
  }

  async index(): Promise<ReleaseIndex> {
    const key = `${this.base}/index.json`;
    const body = await this.blobs.get(key);
    return body ? checkedIndex(parsed(body, key), key) : { releases: [] };
  }

  async saveIndex(index: ReleaseIndex): Promise<void> {
    await this.blobs.put(`${this.base}/index.json`, JSON.stringify(index, null, 2));
  }

  async manifest(id: string): Promise<ReleaseManifest> {
    const key = `${this.base}/releases/${id}.json`;
    const body = await this.blobs.get(key);
    if (!body) throw new UserError(`the manifest of release ${id} is missing from the state store (${key})`);
    return checkedManifest(parsed(body, key), key, id);
  }

  async saveManifest(m: ReleaseManifest): Promise<void> {
    await this.blobs.put(`${this.base}/releases/${m.id}.json`, JSON.stringify(m));
  }
}

function parsed(body: string, key: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new UserError(
      `the state store's ${key} is not JSON: nx-deploy never writes that, so nothing of this site was changed. Restore it from the store's history.`,
    );
  }
}
