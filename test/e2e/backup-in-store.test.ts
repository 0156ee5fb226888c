import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../tools/deploy-plugin/src/core/redact.ts';
import { openStateConfig } from '../../tools/deploy-plugin/src/store/open.ts';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { freePort } from '../support/ports.ts';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { startVersitygw, type S3Server } from '../support/s3-servers.ts';
import { workspaceRoot } from '../support/workspace.ts';

const KEY = 'backup-passphrase-for-the-e2e-4b9f';
const TOKEN = 'backup-smoke-token-77c1';

// The backup a migrating deploy takes lives in the state store, encrypted: another clone (another
// runner, as in CI) rolls the database back with it. PostgreSQL and versitygw are real.
describe('database backups in the state store', () => {
  let s3: S3Server;
  let pg: Postgres;
  let a: Clone;
  let b: Clone;
  let bucket: string;
  let migrations: { first: string; second: string };
  let beforeSecond: string;

  const config = () => ({
    stateDir: '.nx-deploy-test',
    state: s3.state(bucket),
    environments: {
      staging: {
        runtime: 'process',
        proxy: { mode: 'off' },
        database: { urlVariable: 'STAGING_DATABASE_URL', backupKeyVariable: 'STAGING_BACKUP_KEY' },
        services: { 'api-server': { url: `http://127.0.0.1:${port}`, healthPath: '/health', readyPath: '/ready' } },
        ephemeralSecrets: ['POD_SMOKE_TOKEN'],
      },
    },
  });
  let port: number;
  const vars = (extra: Record<string, string> = {}) => ({
    ...s3.env,
    NX_DEPLOY_FILE: 'deploy.test.json',
    STAGING_DATABASE_URL: pg.url,
    STAGING_BACKUP_KEY: KEY,
    POD_SMOKE_TOKEN: TOKEN,
    ...extra,
  });
  const deploy = (clone: Clone, dir: string) =>
    clone.run('npx', ['nx', 'run', 'api-server:deploy:staging', '--output-style=static', '--excludeTaskDependencies'], vars({ MIGRATIONS_DIR: dir }));
  const snapshot = () => pg.dump();

  beforeAll(async () => {
    [s3, pg, a, b] = await Promise.all([startVersitygw(), startPostgres(), cloneWorkspace(), cloneWorkspace()]);
    bucket = s3.bucket('backups');
    port = await freePort();
    for (const clone of [a, b]) writeFileSync(join(clone.dir, 'deploy.test.json'), JSON.stringify(config(), null, 2));
    // The package's migrations, then the same plus one: the second deploy migrates behind a backup.
    const root = mkdtempSync(join(tmpdir(), 'pod-migrations-'));
    migrations = { first: join(root, 'first'), second: join(root, 'second') };
    const source = join(workspaceRoot, 'packages', 'api-server', 'migrations');
    for (const dir of Object.values(migrations)) {
      mkdirSync(dir);
      for (const f of readdirSync(source)) copyFileSync(join(source, f), join(dir, f));
    }
    writeFileSync(join(migrations.second, '0900_create_notes.sql'), 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n');
    const first = await deploy(a, migrations.first);
    expect(first.exitCode, first.all as string).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await a?.remove();
    await b?.remove();
    pg?.stop();
    await s3?.stop();
  }, 120_000);

  it('a migrating deploy from clone A keeps its backup in the store, sealed: not a dump, no row readable', async () => {
    beforeSecond = snapshot();
    const second = await deploy(a, migrations.second);
    expect(second.exitCode, second.all as string).toBe(0);
    expect(second.all).toMatch(/backup kept in the state store, encrypted: backups\/staging\/api-server\/\S+\.sealed \(sha256 [0-9a-f]{16}…\)/);
    const store = await openStateConfig(s3.state(bucket) as never, mkdtempSync(join(tmpdir(), 'peek-')), {
      environ: s3.env,
      redactor: new Redactor(),
    });
    const record = (await store.ledger.read('staging')).records.at(-1)!;
    expect(record).toMatchObject({
      status: 'succeeded',
      backupRef: expect.stringMatching(/^store:backups\/staging\/api-server\//),
      backupSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const sealed = (await store.blobs.getBytes(record.backupRef!.slice('store:'.length)))!;
    expect(sealed.length).toBeGreaterThan(100);
    expect(sealed.subarray(0, 5).toString()).not.toBe('PGDMP');
    expect(sealed.includes(Buffer.from('schema_migrations'))).toBe(false);
    expect(snapshot()).toContain('CREATE TABLE public.notes');
  });

  it('clone B refuses a backup it cannot decrypt (another key) before anything changes, naming why', async () => {
    const res = await b.run(
      'npx',
      ['nx-deploy', 'rollback', 'api-server', '--env', 'staging', '--database'],
      vars({ STAGING_BACKUP_KEY: 'not-the-key-000000000000' }),
    );
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toMatch(
      /the backup backups\/staging\/api-server\/\S+\.sealed in the state store could not be decrypted: the key is not the one it was encrypted with/,
    );
    expect(snapshot()).toContain('CREATE TABLE public.notes');
  });

  it('clone B, which never took it, rolls the database back with it: the dump equals the one before the migration', async () => {
    const res = await b.run('npx', ['nx-deploy', 'rollback', 'api-server', '--env', 'staging', '--database'], vars());
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/the database will be restored from store:backups\/staging\/api-server\/\S+\.sealed/);
    expect(snapshot()).toBe(beforeSecond);
  });
});
