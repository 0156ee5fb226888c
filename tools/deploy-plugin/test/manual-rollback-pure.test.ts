import { describe, expect, it } from 'vitest';
import { backupToRestore } from '../src/rollback-steps/database-rollback.ts';
import { namesKept } from '../src/rollback-steps/service-rollback.ts';
import type { LedgerRecord } from '../src/store/state-store.ts';

const IMAGE = '127.0.0.1:5000/api-server@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const kept = { names: ['0.1.0', '5d41402abc4b2a76b9719d911017c592ae1b0c4f', IMAGE] };

describe('rollback --to of a backend names the kept version', () => {
  it('by version, commit prefix, image, or digest prefix (with or without sha256:)', () => {
    for (const to of ['0.1.0', '5d41402', '5d41402abc4b2a76b9719d911017c592ae1b0c4f', IMAGE, 'sha256:0123456789ab', '0123456789abc'])
      expect(namesKept(kept, to), to).toBe(true);
  });

  it('not by another version, a prefix shorter than 7, or a version prefix', () => {
    for (const to of ['0.0.9', '5d414', '0.1', '0123456', '5d41403']) expect(namesKept({ names: kept.names.slice(0, 2) }, to), to).toBe(false);
    expect(namesKept(kept, '0.1')).toBe(false);
  });
});

let seq = 0;
const record = (r: Partial<LedgerRecord>): LedgerRecord => ({
  id: `d${++seq}`,
  project: 'api-server',
  env: 'staging',
  kind: 'deploy',
  version: '0.1.0',
  gitSha: 'abc',
  status: 'succeeded',
  actor: 'ci',
  startedAt: '2026-11-28T00:00:00Z',
  ...r,
});
const restoredDb = { steps: [{ name: 'database', status: 'succeeded' as const, durationMs: 1 }] };

describe('rollback --database restores the backup of the last migrating run', () => {
  it("takes the newest successful deploy's (or lone migrate's) backup", () => {
    const a = record({ backupRef: '/b/a.dump' });
    const b = record({ kind: 'migrate', backupRef: '/b/b.dump' });
    expect(backupToRestore([a], 'api-server')).toEqual({ ref: '/b/a.dump', id: a.id });
    expect(backupToRestore([a, b], 'api-server')).toEqual({ ref: '/b/b.dump', id: b.id });
  });

  it("ignores failed, rolled back and other projects' runs", () => {
    const a = record({ backupRef: '/b/a.dump' });
    const others = [
      record({ status: 'rolled_back', backupRef: '/b/x.dump' }),
      record({ status: 'failed', backupRef: '/b/y.dump' }),
      record({ project: 'mcp-server', backupRef: '/b/z.dump' }),
      record({ kind: 'smoke' }),
    ];
    expect(backupToRestore([a, ...others], 'api-server')).toEqual({ ref: '/b/a.dump', id: a.id });
  });

  it('refuses when the last deploy did not migrate, nothing is recorded, or a rollback already restored it', () => {
    const a = record({ backupRef: '/b/a.dump' });
    const b = record({ version: '0.2.0' });
    expect(backupToRestore([a, b], 'api-server')).toEqual({
      problem: `its last deploy (${b.id}, 0.2.0) did not migrate the database, so there is no backup to go back to`,
    });
    expect(backupToRestore([], 'api-server')).toEqual({ problem: 'no successful deploy of it is recorded here' });
    const undo = record({ kind: 'rollback', ...restoredDb });
    expect(backupToRestore([a, undo], 'api-server')).toEqual({ problem: `the backup of ${a.id} was already restored by rollback ${undo.id}` });
    // A service-only rollback since leaves the database as migrated: it can still be restored.
    expect(backupToRestore([a, record({ kind: 'rollback' })], 'api-server')).toEqual({ ref: '/b/a.dump', id: a.id });
  });
});
