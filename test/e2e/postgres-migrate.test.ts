import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { TestDeployment, workspaceRoot } from '../support/workspace.ts';

// migrate against a real PostgreSQL (initdb in a temp dir): a backup before migrating, recorded
// in the ledger; a failing migration puts schema and data back exactly as they were.
describe('migrate on PostgreSQL', () => {
  let pg: Postgres;
  let deployment: TestDeployment;
  let url: string;
  const password = 'Sup3r-Secret-Pw-42';
  const migrations = mkdtempSync(join(tmpdir(), 'pod-migrations-'));

  beforeAll(async () => {
    pg = await startPostgres();
    // The cluster trusts loopback, so any password works: it is here to prove it is never shown.
    url = pg.url.replace('postgres@', `postgres:${password}@`);
    deployment = new TestDeployment({
      staging: { database: { urlVariable: 'STAGING_DATABASE_URL' }, services: { 'api-server': { url: 'http://127.0.0.1:9' } } },
    });
  });
  afterAll(async () => {
    pg?.stop();
    await deployment?.cleanup();
    rmSync(migrations, { recursive: true, force: true });
  });

  const migrate = (extra: Record<string, string> = {}) =>
    deployment.run(['nx', 'run', 'api-server:migrate:staging', '--output-style=static'], { STAGING_DATABASE_URL: url, ...extra });

  it('takes a pg_dump backup, records it, and applies the migrations', async () => {
    const res = await migrate();
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toContain('applied 0001_create_agents.sql');
    const [record] = deployment.ledger('staging');
    expect(record).toMatchObject({ project: 'api-server', kind: 'migrate', status: 'succeeded' });
    expect(record!.backupRef).toMatch(/backups\/staging\/api-server\/.*\.dump$/);
    expect(existsSync(record!.backupRef as string)).toBe(true);
    expect(pg.psql('SELECT count(*) FROM schema_migrations')).toBe('2');
  });

  it('restores schema and data when a migration fails, and names it', async () => {
    pg.psql(`INSERT INTO agents (id, name, description, created_at) VALUES ('a1', 'keeper', 'must survive', '2026-01-01T00:00:00Z')`);
    cpSync(join(workspaceRoot, 'packages/api-server/migrations'), migrations, { recursive: true });
    writeFileSync(join(migrations, '0003_agent_tags.sql'), 'CREATE TABLE agent_tags (agent_id TEXT NOT NULL, tag TEXT NOT NULL);\n');
    writeFileSync(join(migrations, '0004_broken.sql'), 'ALTER TABLE agents ADD COLUMN owner TEXT;\nINSERT INTO nonexistent VALUES (1);\n');
    const before = pg.dump();

    const res = await migrate({ MIGRATIONS_DIR: migrations });
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toMatch(/migration failed: 0004_broken\.sql: relation "nonexistent" does not exist/);
    expect(res.all).toMatch(/restored from the backup .*\.dump/);
    expect(pg.dump()).toBe(before);
    expect(pg.psql("SELECT name FROM agents WHERE id = 'a1'")).toBe('keeper');

    const last = deployment.ledger('staging').at(-1)!;
    expect(last).toMatchObject({ kind: 'migrate', status: 'failed' });
    expect(last.reason).toContain('0004_broken.sql');
  });

  it('never shows the database password', async () => {
    const res = await migrate({ MIGRATIONS_DIR: migrations });
    expect(res.all).not.toContain(password);
    expect(JSON.stringify(deployment.ledger('staging'))).not.toContain(password);
  });
});
