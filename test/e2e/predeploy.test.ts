import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testToolsDir } from '../../scripts/provision/tools-dir.mjs';
import { startAdvisoryDouble, type AdvisoryDouble } from '../support/advisory-double.ts';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { freePort } from '../support/ports.ts';
import { startPostgres } from '../support/postgres.ts';

const TOKEN = 'predeploy-smoke-token-5c2e';
// An AWS access key id of the shape gitleaks looks for, made up for this test.
const PLANTED_KEY = ['AKIA', 'Z7Q3KXJ4W2M6P5RT'].join('');

// The pre-deployment checks of a staging deploy, on a clone of this repository: they pass on the
// repository as it is; then, crafted faults at once (a variable unset, a vulnerable dependency from
// the advisory DOUBLE, package.json out of sync with package-lock.json, a migration that fails, an
// access key in the build output) each fail with their own line, and the real database is not
// touched; an advisory source that cannot be reached is unknown, which staging may let pass and
// production (unknown: block) does not.
describe('predeploy checks', () => {
  let clone: Clone;
  let advisories: AdvisoryDouble;
  let database: string;
  let api: string;
  const deployFile = () => join(clone.dir, 'deploy.test.json');
  const write = (predeploy: Record<string, unknown>) =>
    writeFileSync(
      deployFile(),
      JSON.stringify({
        stateDir: join(clone.dir, '.state'),
        environments: {
          staging: {
            runtime: 'process',
            database: { url: `file:${database}` },
            services: { 'api-server': { url: api, healthPath: '/health' } },
            secrets: ['POD_SMOKE_TOKEN'],
            predeploy: { unknown: 'block', audit: { registry: advisories.url }, ...predeploy },
          },
        },
      }),
    );
  const run = (target: string, env: Record<string, string> = { POD_SMOKE_TOKEN: TOKEN }) =>
    clone.run('npx', ['nx', 'run', `api-server:${target}:staging`, '--output-style=static'], {
      NX_DEPLOY_FILE: deployFile(),
      PATH: `${join(testToolsDir(), 'bin')}${delimiter}${process.env.PATH}`,
      ...env,
    });
  const applied = () => {
    const db = new DatabaseSync(database, { readOnly: true });
    try {
      return (db.prepare('SELECT name FROM schema_migrations').all() as { name: string }[]).map((r) => r.name);
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    [clone, advisories] = await Promise.all([cloneWorkspace(), startAdvisoryDouble()]);
    database = join(clone.dir, '.data', 'api.sqlite');
    mkdirSync(join(clone.dir, '.data'));
    api = `http://127.0.0.1:${await freePort()}`;
    write({});
    const migrated = await run('migrate');
    expect(migrated.exitCode, migrated.all as string).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await advisories?.stop();
    await clone?.remove();
  });

  it('pass on the repository as it is, the tests included', async () => {
    const res = await run('predeploy');
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/pass +variables +all 1 set: POD_SMOKE_TOKEN/);
    expect(res.all).toMatch(/pass +lockfile +package-lock\.json matches \d+ package\.json/);
    expect(res.all).toMatch(/pass +audit +no advisory at high or worse/);
    expect(res.all).toMatch(/pass +secrets +no secret found by gitleaks/);
    expect(res.all).toMatch(/pass +migrations +pending migrations apply cleanly to a copy of the SQLite database/);
    expect(res.all).toMatch(/pass +tests +nx run api-server:test passed/);
    expect(res.all).toMatch(/skipped +image-scan +no container image in this environment/);
    expect(res.all).not.toContain(TOKEN);
    expect(advisories.lastAsked()).toContain('fastify'); // npm really asked the double about the tree
  });

  it('each crafted fault fails with its own line, and nothing is changed', async () => {
    write({ checks: ['variables', 'lockfile', 'audit', 'secrets', 'migrations'] });
    advisories.advise([{ id: 1099001, name: 'fastify', severity: 'high', title: 'Planted advisory', ghsa: 'GHSA-pl4n-t3d0-0001' }]);
    const manifest = join(clone.dir, 'packages', 'api-server', 'package.json');
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    pkg.dependencies.pg = '8.23.0';
    writeFileSync(manifest, JSON.stringify(pkg, null, 2));
    writeFileSync(join(clone.dir, 'packages', 'api-server', 'migrations', '0900_broken.sql'), 'CREATE TABLE agents (id INTEGER);\n');
    writeFileSync(join(clone.dir, 'packages', 'api-server', 'dist', 'planted.js'), `export const aws = '${PLANTED_KEY}';\n`);
    const before = applied();

    const res = await run('predeploy', {});
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toMatch(/fail +variables +not set: POD_SMOKE_TOKEN \(named in deploy\.json environments\.staging\)/);
    expect(res.all).toMatch(
      /fail +lockfile +package-lock\.json is out of sync .*packages\/api-server\/package\.json: dependencies\.pg is 8\.23\.0, package-lock\.json has 8\.23\.1/,
    );
    expect(res.all).toMatch(/fail +audit +1 advisory\(ies\) at high or worse: fastify: Planted advisory \(high, advisory GHSA-pl4n-t3d0-0001\)/);
    expect(res.all).toMatch(/fail +secrets +1 secret\(s\) in what is deployed: planted\.js:1 \(aws-access-token\)/);
    expect(res.all).toMatch(/fail +migrations +migrating a copy of the SQLite database failed: .*0900_broken\.sql/);
    expect(res.all).toMatch(/the pre-deployment checks stop this deploy to staging, nothing was changed \(0 pass, 5 fail/);
    expect(res.all).not.toContain(PLANTED_KEY);
    expect(applied()).toEqual(before);

    // The advisory allowed (until a day to come) passes; the others are put right.
    rmSync(join(clone.dir, 'packages', 'api-server', 'migrations', '0900_broken.sql'));
    rmSync(join(clone.dir, 'packages', 'api-server', 'dist', 'planted.js'));
    pkg.dependencies.pg = '8.23.1';
    writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
    write({
      checks: ['lockfile', 'audit', 'secrets', 'migrations'],
      audit: { registry: advisories.url, allow: [{ id: 1099001, reason: 'the planted advisory of this test', expires: '2999-12-31' }] },
    });
    const allowed = await run('predeploy');
    expect(allowed.exitCode, allowed.all as string).toBe(0);
    expect(allowed.all).toMatch(/pass +audit +no advisory at high or worse \(allowed: GHSA-pl4n-t3d0-0001 until 2999-12-31\)/);
  });

  it('PostgreSQL: migrations are tried on a scratch database on the same server, dropped after; Cargo.lock out of sync fails', async () => {
    // A server that needs a password, given in the URL: the password must appear in no output.
    const password = 'predeploy-Pw-6d0c41';
    const pg = await startPostgres('pod', { password });
    try {
      expect(new URL(pg.url).password).toBe(password);
      write({ checks: ['migrations'] });
      const file = JSON.parse(readFileSync(deployFile(), 'utf8'));
      file.environments.staging.database = { urlVariable: 'STAGING_DATABASE_URL' };
      writeFileSync(deployFile(), JSON.stringify(file));
      const env = { POD_SMOKE_TOKEN: TOKEN, STAGING_DATABASE_URL: pg.url };
      const res = await run('predeploy', env);
      expect(res.exitCode, res.all as string).toBe(0);
      expect(res.all).toMatch(/pass +migrations +pending migrations apply cleanly to a scratch copy of the database \(pod_predeploy_[0-9a-f]{8}\)/);
      expect(res.all).not.toContain(password);
      expect(pg.psql("SELECT datname FROM pg_database WHERE datname LIKE 'pod_predeploy_%'")).toBe(''); // dropped after
      expect(pg.psql("SELECT to_regclass('public.agents') IS NULL")).toBe('t'); // the real one: not migrated
    } finally {
      pg.stop();
    }

    write({ checks: ['lockfile'] });
    const cargoToml = join(clone.dir, 'packages', 'sdk-rust', 'Cargo.toml');
    // A version bump Cargo.lock was not updated for (what `changeset version` without sync-crates leaves).
    writeFileSync(cargoToml, readFileSync(cargoToml, 'utf8').replace(/^version = "0\.1\.0"$/m, 'version = "0.1.1"'));
    // Without its build: a plain `cargo build` would rewrite the lock file first (the crate's build uses --locked, so it refuses).
    const crate = await clone.run('npx', ['nx', 'run', 'sdk-rust:predeploy:staging', '--excludeTaskDependencies', '--output-style=static'], {
      NX_DEPLOY_FILE: deployFile(),
      POD_SMOKE_TOKEN: TOKEN,
    });
    expect(crate.exitCode, crate.all as string).not.toBe(0);
    expect(crate.all).toMatch(/fail +lockfile +.*Cargo\.lock is out of sync with packages\/sdk-rust\/Cargo\.toml: run cargo update --workspace/);
  });

  it('an advisory source that cannot be reached is unknown: production-like blocking stops, warning goes on', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/`;
    write({ checks: ['audit'], audit: { registry: closed } });
    const blocked = await run('predeploy');
    expect(blocked.exitCode).not.toBe(0);
    expect(blocked.all).toMatch(/unknown +audit +the advisory source could not be asked: /);
    expect(blocked.all).toContain('audit unknown (staging blocks on unknown)');
    write({ checks: ['audit'], unknown: 'warn', audit: { registry: closed } });
    const warned = await run('predeploy');
    expect(warned.exitCode, warned.all as string).toBe(0);
    expect(warned.all).toMatch(/unknown +audit/);
    expect(warned.all).toMatch(/0 pass, 0 fail, 1 unknown, 0 skipped/);
  });
});
