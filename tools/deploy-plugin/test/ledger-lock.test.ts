import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileLedger } from '../src/store/file/ledger.ts';
import { EnvLock } from '../src/store/file/lock.ts';
import { lastGood, type LedgerRecord } from '../src/store/state-store.ts';
import { Redactor } from '../src/core/redact.ts';

const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (id: string, status: LedgerRecord['status']): LedgerRecord => ({
  id,
  project: 'api',
  env: 'staging',
  kind: 'deploy',
  version: '1.0.0',
  gitSha: 'abc',
  status,
  actor: 'ana',
  startedAt: '2026-01-01T00:00:00.000Z',
});

describe('ledger', () => {
  it('keeps the latest state of each record and survives a torn write', async () => {
    const r = new Redactor();
    r.add('secret-value');
    const ledger = new FileLedger(join(dir, 'ledger'), r);
    await ledger.append(record('1', 'started'));
    await ledger.append({ ...record('1', 'succeeded'), reason: 'used secret-value' });
    appendFileSync(join(dir, 'ledger', 'staging.jsonl'), '\n{"id":"2","proj'); // crash mid-write
    await ledger.append(record('3', 'failed'));
    const { records, damagedLines } = await ledger.read('staging');
    expect(records.map((x) => [x.id, x.status])).toEqual([
      ['1', 'succeeded'],
      ['3', 'failed'],
    ]);
    expect(records[0]!.reason).toBe('used ***');
    expect(damagedLines).toBe(1);
    expect((await lastGood(ledger, 'staging', 'api'))!.id).toBe('1');
  });
});

describe('environment lock', () => {
  const locks = join(dir, 'locks');
  const me = (pid: number, runPid: number) => ({ pid, runPid, host: 'h1' });

  it('lets tasks of one run share it and refuses another run, naming the holder', () => {
    const a = new EnvLock(locks, 'staging', me(process.pid, process.pid)).acquire('ana', 'deploy api');
    const b = new EnvLock(locks, 'staging', me(process.ppid, process.pid)).acquire('ana', 'deploy web');
    expect(b.holder.token).toBe(a.holder.token);
    expect(() => new EnvLock(locks, 'staging', me(process.pid, process.ppid)).acquire('bo', 'deploy api')).toThrow(
      /staging is locked by ana on h1 since .* \(deploy api; process \d+\)\. Wait for that deploy to finish \(or pass --lock-wait\)/,
    );
    a.release();
    expect(new EnvLock(locks, 'staging', me(1, 1)).status()).toBeDefined(); // b is still inside
    b.release();
    expect(new EnvLock(locks, 'staging', me(1, 1)).status()).toBeUndefined();
  });

  it('detects a stale lock whose processes died, and releases it on request', () => {
    const deadPid = 2 ** 22 + 12345; // above pid_max: never alive
    new EnvLock(locks, 'production', me(deadPid, deadPid)).acquire('ana', 'deploy api');
    const other = new EnvLock(locks, 'production', me(process.pid, process.pid));
    expect(other.status()!.stale).toBe(true);
    expect(() => other.acquire('bo', 'deploy api')).toThrow(/stale: release it with `npx nx-deploy lock release --env production`/);
    expect(other.forceRelease(false)!.actor).toBe('ana');
    other.acquire('bo', 'deploy api').release();
  });

  it('refuses to release a live holder without --force', () => {
    const lease = new EnvLock(locks, 'qa', me(process.pid, process.pid)).acquire('ana', 'deploy api');
    expect(() => new EnvLock(locks, 'qa', me(1, 1)).forceRelease(false)).toThrow(/still running/);
    lease.release();
  });
});
