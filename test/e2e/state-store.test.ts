import { execa } from 'execa';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../tools/deploy-plugin/src/core/redact.ts';
import { deployFileSchema } from '../../tools/deploy-plugin/src/config/environments.ts';
import { openStateConfig, openStore, openStoreToRead } from '../../tools/deploy-plugin/src/store/open.ts';
import { LeaseLost, LockHeld, type StateStore } from '../../tools/deploy-plugin/src/store/state-store.ts';
import { createLogger } from '../../tools/deploy-plugin/src/core/log.ts';
import { Runner } from '../../tools/deploy-plugin/src/core/run.ts';
import { S3Ledger } from '../../tools/deploy-plugin/src/store/s3/ledger.ts';
import { S3Locks } from '../../tools/deploy-plugin/src/store/s3/lock.ts';
import { S3Objects } from '../../tools/deploy-plugin/src/store/s3/objects.ts';
import { s3Store } from '../../tools/deploy-plugin/src/store/s3/store.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/processes.ts';
import { startS3rver, startVersitygw, type S3Server } from '../support/s3-servers.ts';
import { workspaceRoot } from '../support/workspace.ts';

// The s3 state store against a REAL S3 server (versitygw, which honours conditional writes), driven
// through the AWS SDK: leases, fencing, takeover of an expired lease, a 20-process race; and the
// probe that refuses a store ignoring conditional writes (s3rver, a fake that does).
describe('s3 state store', () => {
  let s3: S3Server;
  const support = (file: string) => join(workspaceRoot, 'test', 'support', file);
  const open = (state: Record<string, unknown>, env: Record<string, string> = s3.env) =>
    openStateConfig(state as never, mkdtempSync(join(tmpdir(), 'store-')), { environ: env, redactor: new Redactor() });

  beforeAll(async () => {
    s3 = await startVersitygw();
  }, 60_000);
  afterAll(() => s3?.stop());

  it('refuses a store that ignores conditional writes, naming it', async () => {
    const fake = await startS3rver('state');
    try {
      await expect(open(fake.state('state'), fake.env)).rejects.toThrow(
        new RegExp(`the state store s3://state/nx-deploy/ at ${fake.endpoint} ignores conditional writes: a second create-only write`),
      );
    } finally {
      await fake.stop();
    }
  });

  it('names the store when it is down, refuses the credentials, or lacks the bucket; secrets never shown', async () => {
    const bucket = s3.bucket('checks');
    const down = `http://127.0.0.1:${await freePort()}`;
    await expect(open({ ...s3.state(bucket), endpoint: down })).rejects.toThrow(
      `the state store s3://${bucket}/nx-deploy/ at ${down} cannot be reached`,
    );
    const wrong = open(s3.state(bucket), { ...s3.env, S3_SECRET_KEY: 'not-the-secret-1f4c' });
    await expect(wrong).rejects.toThrow(`refused the credentials (S3_ACCESS_KEY / S3_SECRET_KEY)`);
    await expect(wrong).rejects.not.toThrow(/not-the-secret/);
    await expect(open(s3.state('no-such-bucket'))).rejects.toThrow('bucket no-such-bucket does not exist');
    await expect(open(s3.state(bucket), { S3_ACCESS_KEY: 'k' })).rejects.toThrow(
      'reads its credentials from S3_SECRET_KEY (deploy.json), which is not set',
    );
  });

  it('fails a deploy before any side effect when its store is down, naming the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-down-'));
    const down = `http://127.0.0.1:${await freePort()}`;
    const staging = { services: { 'api-server': { url: `http://127.0.0.1:${await freePort()}` } }, ephemeralSecrets: ['POD_SMOKE_TOKEN'] };
    writeFileSync(
      join(dir, 'deploy.json'),
      JSON.stringify({ stateDir: join(dir, 'state'), state: { ...s3.state('xyz'), endpoint: down }, environments: { staging } }),
    );
    const res = await execa('npx', ['nx', 'run', 'api-server:deploy:staging', '--output-style=static', '--excludeTaskDependencies'], {
      cwd: workspaceRoot,
      env: { ...s3.env, NX_DEPLOY_FILE: join(dir, 'deploy.json') },
      all: true,
      reject: false,
    });
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain(`the state store s3://xyz/nx-deploy/ at ${down} cannot be reached`);
    expect(res.all).not.toMatch(/▶ migrate/);
    expect(existsSync(join(dir, 'state'))).toBe(false); // no lock, ledger, backup or service
  });

  it('keeps one holder; an expired lease is taken over, its unfinished deploy recorded aborted, its writes refused', async () => {
    const state = s3.state(s3.bucket('lease'), { leaseSeconds: 2 });
    const holder = execa(process.execPath, [support('lease-holder.ts'), JSON.stringify(state), 'first-runner'], { env: s3.env, reject: false });
    const ready = await new Promise<number>((resolve, reject) => {
      holder.stdout!.on('data', (d: Buffer) => {
        const m = /READY (\d+)/.exec(String(d));
        if (m) resolve(Number(m[1]));
      });
      holder.catch(reject);
    });
    const store: StateStore = await open(state);
    // Held and renewed: refused, naming the holder, well past the lease's 2 s.
    await new Promise((r) => setTimeout(r, 3_000));
    await expect(store.locks.acquire('held', { actor: 'second-runner', what: 'deploy api-server' })).rejects.toThrow(
      /held is locked by first-runner on .*\(deploy api-server; process \d+\)/,
    );
    expect((await store.locks.status('held'))!.stale).toBe(false);

    holder.kill('SIGKILL'); // mid-run: no release, no heartbeat
    await holder;
    // Expired by the store's clock: not written for the lease's 2 s, plus 1 s for its whole-second
    // timestamps. Polled, not slept: a renewal the holder sent just before it died can still land
    // (and restart the lease) a moment after the kill.
    await waitFor('the lease to expire', async () => (await store.locks.status('held'))?.stale || undefined, 10_000);
    const lease = await store.locks.acquire('held', { actor: 'second-runner', what: 'deploy api-server' });
    expect(lease.generation).toBeGreaterThan(ready);
    const [dead] = (await store.ledger.read('held')).records;
    expect(dead).toMatchObject({ status: 'aborted', actor: 'first-runner', generation: lease.generation });
    expect(dead!.reason).toMatch(/its lock lease \(first-runner on .*\) expired at .* without being renewed; taken over by second-runner/);

    // The first holder's writes, had it survived, are refused: its generation is not the lease's any more.
    await expect(store.ledger.append({ ...dead!, status: 'succeeded', generation: ready })).rejects.toThrow(LeaseLost);
    await lease.release();
    expect(await store.locks.status('held')).toBeUndefined();
  });

  /** Where a bucket of the real S3 server keeps the store, reached through `endpoint`. */
  const location = async (bucket: string, endpoint = s3.endpoint) => {
    await open(s3.state(bucket)); // creates the bucket's store (and checks it) as a deploy would
    return {
      bucket,
      prefix: 'nx-deploy/',
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.env.S3_SECRET_KEY! },
      credentialsFrom: 'S3_ACCESS_KEY / S3_SECRET_KEY',
    };
  };
  /** The locks as a runner whose wall clock is `skewMs` off sees them. */
  const locksWithClock = (loc: Awaited<ReturnType<typeof location>>, skewMs: number, leaseSeconds: number) => {
    const objects = new S3Objects(loc);
    return new S3Locks(objects, new S3Ledger(objects, new Redactor()), leaseSeconds, () => Date.now() + skewMs);
  };

  it("never gives a lease to two runners whose clocks are a minute apart, either way: expiry is the store clock's", async () => {
    const loc = await location(s3.bucket('skew'));
    for (const [first, second] of [
      [-60_000, 60_000],
      [60_000, -60_000],
    ] as const) {
      // The holder is another process (a lease is shared within one run), its clock `first` off.
      const holder = execa(process.execPath, [support('skewed-holder.ts'), JSON.stringify(loc), String(first), '3', 'hold'], { reject: false });
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => String(d).includes('READY') && resolve());
        holder.catch(reject);
      });
      const b = locksWithClock(loc, second, 3);
      // Well past a lease by either clock, while the holder renews: B is refused every time.
      for (let i = 0; i < 5; i++) {
        await expect(b.acquire('staging', { actor: `runner ${second}`, what: 'deploy api-server' })).rejects.toThrow(LockHeld);
        await new Promise((r) => setTimeout(r, 1_000));
      }
      expect((await b.status('staging'))!.stale).toBe(false);
      holder.kill('SIGKILL');
      const { stdout } = await holder;
      expect(stdout).not.toContain('LOST');
      // Not renewed for a lease (plus a second for whole-second timestamps) by the store's clock: B takes it over, not before.
      const killedAt = Date.now();
      let taken;
      while (!taken && Date.now() - killedAt < 10_000) {
        taken = await b.acquire('staging', { actor: `runner ${second}`, what: 'deploy api-server' }).catch((err: unknown) => {
          if (!(err instanceof LockHeld)) throw err;
          return undefined;
        });
        if (!taken) await new Promise((r) => setTimeout(r, 200));
      }
      expect(taken, 'taken over once the lease expired by the store clock').toBeDefined();
      // Its last renewal was at most a fifth of the lease before the kill.
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(2_400);
      await taken!.release();
    }
  });

  it('a holder cut off from the store stops acting (its runner refuses the next command) before anyone can take its lease over', async () => {
    const bucket = s3.bucket('cut');
    const proxy = await startFaultProxy({ target: s3.endpoint, failureRate: 0, seed: 7, preserveHost: true });
    try {
      const warnings: string[] = [];
      const held = await locksWithClock(await location(bucket, proxy.url), 0, 3).acquire('staging', {
        actor: 'cut-runner',
        what: 'deploy api-server',
        warn: (m) => warnings.push(m),
      });
      const runner = new Runner(
        workspaceRoot,
        new Redactor(),
        createLogger(new Redactor(), 'test', () => undefined),
      );
      runner.guard(() => held.lost());
      expect((await runner.run({ argv: ['node', '-e', 'console.log("still held")'] }, { quiet: true })).stdout).toBe('still held');

      // Another runner (its own process: a lease is shared within one run) waits for the lease.
      const other = execa(process.execPath, [support('skewed-holder.ts'), JSON.stringify(await location(bucket)), '0', '3', 'take'], {
        reject: false,
      });
      proxy.setFailureRate(1);
      const cutAt = Date.now();
      let stoppedAt: number | undefined;
      const watch = setInterval(() => {
        if (stoppedAt === undefined && held.lost()) stoppedAt = Date.now();
      }, 20);
      const taken = await other;
      clearInterval(watch);
      const takenAt = Number(/TAKEN (\d+)/.exec(taken.stdout)?.[1]);
      expect(takenAt, taken.all ?? taken.stderr).toBeGreaterThan(0);
      expect(stoppedAt, 'the cut holder noticed before the lease was taken over').toBeDefined();
      expect(stoppedAt!).toBeLessThan(takenAt);
      expect(stoppedAt! - cutAt).toBeLessThan(3_000);
      expect(held.lost()).toMatch(
        /the staging lock's lease was not renewed in time \(\d+ renewals failed: .*\), so another deploy could take it over/,
      );
      expect(warnings.join('\n')).toMatch(
        /the staging lock's lease could not be renewed \(1 in a row: .*\); this deploy stops acting in \d+ s unless a renewal succeeds/,
      );
      const marker = join(mkdtempSync(join(tmpdir(), 'cut-')), 'ran');
      await expect(
        runner.run({ argv: ['node', '-e', `require("fs").writeFileSync(${JSON.stringify(marker)}, "")`] }, { quiet: true }),
      ).rejects.toThrow(/lease was not renewed in time .*, so this was not run: node -e/);
      expect(existsSync(marker)).toBe(false);
      await held.release().catch(() => undefined);
    } finally {
      await proxy.stop();
    }
  });

  it("production reads staging's records with its read-only key, never staging's own; a store both share with one key is refused before any request", async () => {
    const bucket = s3.bucket('isolated');
    const staging = s3.state(bucket, { prefix: 'staging/', accessKeyIdVariable: 'STAGING_KEY', secretAccessKeyVariable: 'STAGING_SECRET' });
    const file = (production: Record<string, unknown>) =>
      deployFileSchema.parse({
        environments: {
          staging: { runtime: 'container', state: staging },
          production: { runtime: 'container', approval: { required: true }, ...production },
        },
      });
    const ctx = (environ: Record<string, string>) => ({ workspaceRoot: mkdtempSync(join(tmpdir(), 'iso-')), environ, redactor: new Redactor() });
    const keys = { key: s3.env.S3_ACCESS_KEY!, secret: s3.env.S3_SECRET_KEY! };
    const isolated = file({
      state: s3.state(bucket, { prefix: 'production/', accessKeyIdVariable: 'PROD_KEY', secretAccessKeyVariable: 'PROD_SECRET' }),
      readState: { staging: { accessKeyIdVariable: 'STAGING_READ_KEY', secretAccessKeyVariable: 'STAGING_READ_SECRET' } },
    });
    // Staging's own deploy records an image.
    const own = await openStore(isolated, 'staging', ctx({ STAGING_KEY: keys.key, STAGING_SECRET: keys.secret }));
    await own.ledger.append({
      id: 'd-staging',
      project: 'api',
      env: 'staging',
      kind: 'deploy',
      version: '1.0.0',
      gitSha: 'abc',
      status: 'succeeded',
      actor: 'ci',
      startedAt: 't',
      image: 'r/api@sha256:1',
    });

    // The production job holds no staging key, only the read key.
    const unset = openStoreToRead(isolated, 'staging', 'production', ctx({}));
    await expect(unset).rejects.toThrow('reads its credentials from STAGING_READ_KEY and STAGING_READ_SECRET (deploy.json), which are not set');
    const wrong = openStoreToRead(isolated, 'staging', 'production', ctx({ STAGING_READ_KEY: keys.key, STAGING_READ_SECRET: 'not-the-read-secret' }));
    await expect(wrong).rejects.toThrow('refused the credentials (STAGING_READ_KEY / STAGING_READ_SECRET)');
    const read = await openStoreToRead(isolated, 'staging', 'production', ctx({ STAGING_READ_KEY: keys.key, STAGING_READ_SECRET: keys.secret }));
    expect((await read.ledger.read('staging')).records).toMatchObject([{ id: 'd-staging', image: 'r/api@sha256:1' }]);

    // One store, one key for both: refused, naming both environments, before any request (the endpoint is down).
    const down = `http://127.0.0.1:${await freePort()}`;
    const shared = deployFileSchema.parse({
      state: { backend: 's3', bucket: 'one', endpoint: down, forcePathStyle: true, accessKeyIdVariable: 'K', secretAccessKeyVariable: 'S' },
      environments: { staging: {}, production: { approval: { required: true } } },
    });
    for (const env of ['staging', 'production']) {
      await expect(openStore(shared, env, ctx({ K: 'k', S: 's' }))).rejects.toThrow(
        /environments\.production \(approval required\) and environments\.staging keep their state in the same store, s3:\/\/one\/nx-deploy\/ at http:\/\/127\.0\.0\.1:\d+, with the same credentials \(K \/ S\)[\s\S]*Nothing was run\./,
      );
    }
  });

  it('never has two holders at once: 20 processes racing for the lock', async () => {
    const state = s3.state(s3.bucket('race'), { leaseSeconds: 30 });
    const racers = Array.from({ length: 20 }, (_, i) =>
      execa(process.execPath, [support('lock-racer.ts'), JSON.stringify(state), '3', `racer-${i}`], { env: s3.env, all: true, reject: false }),
    );
    for (const r of await Promise.all(racers)) expect(r.exitCode, r.all as string).toBe(0);
    const store = await open(state);
    const records = (await store.ledger.read('race')).records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    expect(records).toHaveLength(60);
    expect(records.every((r) => r.status === 'succeeded')).toBe(true);
    expect(new Set(records.map((r) => r.generation)).size).toBe(60);
    for (let i = 1; i < records.length; i++) {
      // Each holder finished before the next one started, and got a higher generation.
      expect(records[i]!.startedAt >= records[i - 1]!.finishedAt!, `${records[i - 1]!.id} and ${records[i]!.id} overlap`).toBe(true);
      expect(records[i]!.generation!).toBeGreaterThan(records[i - 1]!.generation!);
    }
  }, 180_000);

  it('a conditional write whose answer was lost, retried by the SDK, counts as won: the probe, the lease, the ledger', async () => {
    const bucket = s3.bucket('lost-replies');
    // The first PUT of each kind of key is acted on by the store, then its answer is cut off: the
    // SDK retries it, and the retry's condition fails against the write that had landed.
    const cut = new Set<string>();
    const proxy = await startFaultProxy({
      target: s3.endpoint,
      failureRate: 0,
      seed: 3,
      preserveHost: true,
      dropReplyTo: ({ method, url }) => {
        const kind = /\/(probe|locks|ledger\/[^/]+\/head|ledger\/[^/]+\/records)/.exec(url)?.[1]?.replace(/\/[^/]+\//, '/*/');
        if (method !== 'PUT' || !kind || cut.has(kind)) return false;
        cut.add(kind);
        return true;
      },
    });
    try {
      const store = await s3Store(await location(bucket, proxy.url), 30, new Redactor());
      const lease = await store.locks.acquire('lossy', { actor: 'ana', what: 'deploy api' });
      // Taken at once: a lost answer to the claim of generation 1 is not read as someone else's claim.
      expect(lease.generation).toBe(1);
      await store.ledger.append({
        id: 'd-lossy',
        project: 'api',
        env: 'lossy',
        kind: 'deploy',
        version: '1.0.0',
        gitSha: 'abc',
        status: 'succeeded',
        actor: 'ana',
        startedAt: 't',
        generation: lease.generation,
      });
      await lease.release();
      expect([...cut].sort()).toEqual(['ledger/*/head', 'ledger/*/records', 'locks', 'probe']);
      expect(proxy.stats.dropped).toBe(4);
      const { records } = await store.ledger.read('lossy');
      expect(records.map((r) => [r.id, r.generation])).toEqual([['d-lossy', lease.generation]]);
      expect(await store.locks.status('lossy')).toBeUndefined();
    } finally {
      await proxy.stop();
    }
  });

  it('retires the generation of a lease released by force: its holder notices, and its writes are refused', async () => {
    const state = s3.state(s3.bucket('forced'), { leaseSeconds: 2 });
    const holder = await open(state);
    const lease = await holder.locks.acquire('prod', { actor: 'ana', what: 'deploy api' });
    process.env.NX_INVOCATION_ANCESTOR_PIDS = '1'; // an operator's shell: another run
    try {
      const operator = await open(state);
      await expect(operator.locks.forceRelease('prod', false)).rejects.toThrow(/Pass --force only if you are sure/);
      expect((await operator.locks.forceRelease('prod', true))!.actor).toBe('ana');
      await new Promise((r) => setTimeout(r, 1_500)); // a heartbeat
      expect(lease.lost()).toBe('the prod lock was released by someone else');
      const record = {
        id: 'r1',
        project: 'api',
        env: 'prod',
        kind: 'deploy',
        version: '1',
        gitSha: 'x',
        status: 'started' as const,
        actor: 'ana',
        startedAt: new Date().toISOString(),
      };
      await expect(holder.ledger.append({ ...record, generation: lease.generation })).rejects.toThrow(LeaseLost);
      const next = await operator.locks.acquire('prod', { actor: 'bo', what: 'deploy api' });
      expect(next.generation).toBeGreaterThan(lease.generation + 1);
      await next.release();
    } finally {
      delete process.env.NX_INVOCATION_ANCESTOR_PIDS;
      await lease.release();
    }
  });

  it("fences blob writes like ledger writes: a stale generation is refused, and never replaces a newer lease's blob", async () => {
    const state = s3.state(s3.bucket('fenced-blobs'), { leaseSeconds: 2 });
    const [first, second] = [await open(state), await open(state)];
    const lease = await first.locks.acquire('prod', { actor: 'ana', what: 'deploy api' });
    const stale = first.blobs.fenced!('prod', lease.generation);
    await stale.put('services/prod/api.json', '{"by":"ana"}');
    await stale.putBytes('backups/prod/a.bin', Buffer.from('sealed'));
    expect(await second.blobs.get('services/prod/api.json')).toBe('{"by":"ana"}');

    process.env.NX_INVOCATION_ANCESTOR_PIDS = '1'; // an operator's shell: another run
    try {
      await second.locks.forceRelease('prod', true);
      const next = await second.locks.acquire('prod', { actor: 'bo', what: 'deploy api' });
      await second.blobs.fenced!('prod', next.generation).put('services/prod/api.json', '{"by":"bo"}');
      // The holder that lost its lease: neither kind of write lands, and what bo wrote stays.
      await expect(stale.put('services/prod/api.json', '{"by":"ana, late"}')).rejects.toThrow(
        new RegExp(
          `the prod lock was taken over by a newer deploy \\(lease \\d+; this one held ${lease.generation}\\), so this deploy may not write blobs/services/prod/api.json`,
        ),
      );
      await expect(stale.putBytes('backups/prod/b.bin', Buffer.from('late'))).rejects.toThrow(LeaseLost);
      expect(await second.blobs.get('services/prod/api.json')).toBe('{"by":"bo"}');
      expect(await second.blobs.getBytes('backups/prod/b.bin')).toBeUndefined();
      await next.release();
    } finally {
      delete process.env.NX_INVOCATION_ANCESTOR_PIDS;
      await lease.release().catch(() => undefined);
    }

    // Even where the ledger head has not caught up (a write racing the takeover), a blob stamped
    // by a newer generation is not replaced by an older one.
    const ahead = first.blobs.fenced!('race', 7);
    await ahead.put('services/race/api.json', '{"generation":7}');
    await expect(first.blobs.fenced!('race', 6).put('services/race/api.json', '{"generation":6}')).rejects.toThrow(
      /the race lock was taken over by a newer deploy \(lease 7, which wrote it last; this one held 6\)/,
    );
    expect(await first.blobs.get('services/race/api.json')).toBe('{"generation":7}');
  });

  it('imports a local ledger into the store once (nx-deploy state import --from file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-'));
    const state = s3.state(s3.bucket('imported'));
    const local = await openStateConfig({ backend: 'file' }, join(dir, 'state'), { environ: {}, redactor: new Redactor() });
    for (const [id, status] of [
      ['20260101T000000Z-api-server-a', 'succeeded'],
      ['20260102T000000Z-api-server-b', 'rolled_back'],
    ] as const) {
      await local.ledger.append({
        id,
        project: 'api-server',
        env: 'staging',
        kind: 'deploy',
        version: '0.1.0',
        gitSha: 'abc',
        status,
        actor: 'ana',
        startedAt: '2026-01-01T00:00:00.000Z',
      });
    }
    writeFileSync(join(dir, 'deploy.json'), JSON.stringify({ stateDir: join(dir, 'state'), state, environments: { staging: {}, production: {} } }));
    const run = () =>
      execa('npx', ['nx-deploy', 'state', 'import', '--from', 'file'], {
        cwd: workspaceRoot,
        env: { ...s3.env, NX_DEPLOY_FILE: join(dir, 'deploy.json') },
        all: true,
        reject: false,
      });
    const first = await run();
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stdout).toContain(`staging: copied 2 record(s) into s3://imported/nx-deploy/ at ${s3.endpoint}`);
    expect(first.stdout).toContain('production: copied 0 record(s)');
    const again = await run();
    expect(again.stdout).toContain('staging: copied 0 record(s) into s3://imported/nx-deploy/ at');
    expect(again.stdout).toContain('(2 were there already)');
    const remote = await open(state);
    expect((await remote.ledger.read('staging')).records.map((r) => [r.id, r.status])).toEqual([
      ['20260101T000000Z-api-server-a', 'succeeded'],
      ['20260102T000000Z-api-server-b', 'rolled_back'],
    ]);
  });

  it('is refused by LockHeld when held, with what a waiting deploy prints', async () => {
    const store = await open(s3.state(s3.bucket('held-error')));
    const lease = await store.locks.acquire('staging', { actor: 'ana', what: 'deploy api-server' });
    process.env.NX_INVOCATION_ANCESTOR_PIDS = '1'; // another Nx run
    try {
      const other = await open(s3.state('held-error'));
      const err = await other.locks.acquire('staging', { actor: 'bo', what: 'deploy web' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockHeld);
      expect((err as LockHeld).message).toMatch(/Wait for that deploy to finish \(or pass --lock-wait\)/);
    } finally {
      delete process.env.NX_INVOCATION_ANCESTOR_PIDS;
      await lease.release();
    }
  });
});
