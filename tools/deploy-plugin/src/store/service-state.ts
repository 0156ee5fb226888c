import type { BlobStore } from './state-store.ts';
import { fileSafeName } from '../core/names.ts';

/**
 * What a runtime remembers about a service in an environment (what runs now, what ran before, for
 * a rollback), one JSON blob per service and runtime in the state store, so a rollback from another
 * machine finds it. It never holds a secret: runtimes store secret settings by the variable that
 * holds them.
 */
export class ServiceState<T extends object> {
  private readonly blobs: BlobStore;
  private readonly key: string;

  /** `server`: one of the environment's servers, each keeping its own state (none: this machine). */
  constructor(blobs: BlobStore, env: string, project: string, runtime: string, server?: string) {
    this.blobs = blobs;
    // Scoped project names (@scope/name) stay one blob.
    this.key = server
      ? `services/${env}/${fileSafeName(project)}/${fileSafeName(server)}.${runtime}.json`
      : `services/${env}/${fileSafeName(project)}.${runtime}.json`;
  }

  async read(): Promise<Partial<T>> {
    const text = await this.blobs.get(this.key);
    if (!text) return {};
    try {
      return JSON.parse(text) as Partial<T>;
    } catch {
      return {};
    }
  }

  async write(state: Partial<T>): Promise<void> {
    await this.blobs.put(this.key, `${JSON.stringify(state, null, 2)}\n`);
  }
}
