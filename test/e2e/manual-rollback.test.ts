import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { isRunning, stopPid } from '../support/processes.ts';
import { TestDeployment, workspaceRoot } from '../support/workspace.ts';

const TOKEN = 'manual-rollback-token-8e1f';

// `nx-deploy rollback <backend>` and the inferred `rollback` target: after two deploys of the
// api-server as a local process (the second one migrating its SQLite database), the one that
// served before runs again from its release folder and, with --database, the database goes back
// to the backup taken before that migration; under the lock, recorded in the ledger. What cannot
// be done is refused before anything changes.
describe('nx-deploy rollback of a backend', () => {
  let deployment: TestDeployment;
  let api: string;
  let database: string;
  const pids: number[] = [];
  const vars = { POD_SMOKE_TOKEN: TOKEN };
  const pid = () => deployment.servicePid('development', 'api-server')!;
  const deploy = (migrations: string) =>
    deployment.run(['nx', 'run', 'api-server:deploy:development', '--excludeTaskDependencies', '--output-style=static'], {
      ...vars,
      MIGRATIONS_DIR: migrations,
    });
  const rollback = (...args: string[]) => deployment.run(['nx-deploy', 'rollback', ...args, '--env', 'development'], vars);
  const migrationsApplied = () => {
    const db = new DatabaseSync(database, { readOnly: true });
    try {
      return (db.prepare('SELECT name FROM schema_migrations ORDER BY name').all() as { name: string }[]).map((r) => r.name);
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    api = `http://127.0.0.1:${await freePort()}`;
    deployment = new TestDeployment({});
    database = join(deployment.dir, 'api.sqlite');
    deployment.write({
      development: {
        runtime: 'process',
        database: { url: `file:${database}` },
        services: { 'api-server': { url: api, healthPath: '/health' } },
        ephemeralSecrets: ['POD_SMOKE_TOKEN'],
      },
    });
    // The package's migrations, then the same plus one: the second deploy migrates (behind a backup).
    const first = join(deployment.dir, 'migrations-1');
    const second = join(deployment.dir, 'migrations-2');
    const source = join(workspaceRoot, 'packages', 'api-server', 'migrations');
    for (const dir of [first, second]) {
      mkdirSync(dir);
      for (const f of readdirSync(source)) copyFileSync(join(source, f), join(dir, f));
    }
    writeFileSync(join(second, '0900_create_notes.sql'), 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n');
    for (const dir of [first, second]) {
      const res = await deploy(dir);
      expect(res.exitCode, res.all as string).toBe(0);
      pids.push(pid());
    }
    expect(migrationsApplied().at(-1)).toBe('0900_create_notes.sql');
  }, 180_000);
  afterAll(async () => {
    for (const p of [...pids, deployment?.servicePid('development', 'api-server')]) await stopPid(p);
    await deployment?.cleanup();
  });

  it('refuses a --to that is not the kept version, and an unknown project, before anything changes', async () => {
    const records = deployment.ledger('development').length;
    const to = await rollback('api-server', '--to', '0.0.9');
    expect(to.exitCode).not.toBe(0);
    expect(to.all).toMatch(/cannot be rolled back to 0\.0\.9: the only version kept for a rollback is 0\.1\.0 \([0-9a-f]{12}\) from /);
    expect(to.all).toContain('nothing was changed');
    const unknown = await rollback('nope');
    expect(unknown.all).toContain('no project nope in this workspace');
    expect(pid()).toBe(pids[1]);
    expect(deployment.ledger('development')).toHaveLength(records);
  });

  it('starts the version that served before again and restores the database from the backup taken before migrating', async () => {
    const gitSha = (deployment.ledger('development')[0]!.gitSha as string).slice(0, 9);
    const res = await rollback('api-server', '--to', gitSha, '--database');
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/rolling back to 0\.1\.0 \([0-9a-f]{12}\) from .*releases\/development\/api-server\//);
    expect(res.all).toMatch(/the database will be restored from .*backups\/development\/api-server\/.*\.sqlite \(taken by \d{8}T\d{6}Z-api-server-/);
    expect(res.all).toMatch(/rollback api-server 0\.1\.0 to development \([0-9a-f]{8}\): succeeded/);
    const now = pid();
    pids.push(now);
    expect(now).not.toBe(pids[1]);
    expect(isRunning(pids[1]!)).toBe(false);
    expect((await fetch(`${api}/health`)).status).toBe(200);
    expect(migrationsApplied()).not.toContain('0900_create_notes.sql');
    expect(migrationsApplied().length).toBeGreaterThan(0);
    expect(deployment.ledger('development').at(-1)).toMatchObject({
      project: 'api-server',
      kind: 'rollback',
      status: 'succeeded',
      artifact: expect.stringMatching(/^0\.1\.0 \([0-9a-f]{12}, pid \d+\)$/),
      steps: [
        { name: 'rollback', status: 'succeeded' },
        { name: 'database', status: 'succeeded' },
      ],
    });
  });

  it('the rollback target refuses once nothing earlier is kept, and the database once it was restored', async () => {
    const serving = pid();
    const records = deployment.ledger('development').length;
    const again = await deployment.run(['nx', 'run', 'api-server:rollback:development', '--database', '--output-style=static'], vars);
    expect(again.exitCode).not.toBe(0);
    expect(again.all).toContain('api-server in development cannot be rolled back: no earlier version is kept');
    expect(again.all).toContain('nothing was changed');
    const typo = await deployment.run(['nx', 'run', 'api-server:rollback', '-c', 'developmnt', '--output-style=static'], vars);
    expect(typo.exitCode).not.toBe(0);
    expect(typo.all).toContain('api-server:rollback was given no environment, so nothing was run');
    expect(pid()).toBe(serving);
    expect(isRunning(serving)).toBe(true);
    expect(deployment.ledger('development')).toHaveLength(records);
  });
});
