import { join } from 'node:path';
import type { Redactor } from '../../core/redact.ts';
import type { StateStore } from '../state-store.ts';
import { FileBlobs } from './blobs.ts';
import { FileLedger } from './ledger.ts';
import { FileLocks } from './lock.ts';

/** The embedded default: the ledger, the locks and blobs as files under the state folder, for one machine. */
export function fileStore(stateDir: string, redactor: Redactor): StateStore {
  return {
    where: `the folder ${stateDir}`,
    ledger: new FileLedger(join(stateDir, 'ledger'), redactor),
    locks: new FileLocks(join(stateDir, 'locks')),
    blobs: new FileBlobs(stateDir),
  };
}
