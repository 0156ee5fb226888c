import { fileSafeName } from '../core/names.ts';
import type { BlobStore } from './state-store.ts';

/** A project held at the version a manual rollback put back, until someone lets go of it. */
export interface Pin {
  /** Who rolled back, when, and the rollback's ledger record. */
  actor: string;
  at: string;
  rollbackId: string;
  /** What serves since the rollback. */
  serving: string;
}

const key = (env: string, project: string) => `pins/${env}/${fileSafeName(project)}.json`;

/**
 * Pins in the state store: after a manual rollback a project's deploys to that environment are
 * skipped (the next merge must not silently undo the rollback) until it is unpinned or a deploy is
 * forced. An unpinned project's blob is empty: the store has no delete, and none is needed.
 */
export class Pins {
  private readonly blobs: BlobStore;

  constructor(blobs: BlobStore) {
    this.blobs = blobs;
  }

  async get(env: string, project: string): Promise<Pin | undefined> {
    const text = await this.blobs.get(key(env, project));
    if (!text?.trim()) return undefined;
    try {
      return JSON.parse(text) as Pin;
    } catch {
      return undefined;
    }
  }

  async pin(env: string, project: string, pin: Pin): Promise<void> {
    await this.blobs.put(key(env, project), `${JSON.stringify(pin, null, 2)}\n`);
  }

  /** Lets go; true when there was a pin. */
  async unpin(env: string, project: string): Promise<boolean> {
    const had = Boolean(await this.get(env, project));
    if (had) await this.blobs.put(key(env, project), '');
    return had;
  }
}

/** Pure: one sentence on a pin, for a deploy that skips the project and for `affected`. */
export function describePin(project: string, env: string, pin: Pin): string {
  return (
    `${project} is pinned in ${env}: ${pin.actor} rolled it back at ${pin.at} (${pin.rollbackId}), and ${pin.serving} serves; ` +
    `its deploys there are skipped until \`nx-deploy unpin ${project} --env ${env}\`, or a deploy with --force`
  );
}
