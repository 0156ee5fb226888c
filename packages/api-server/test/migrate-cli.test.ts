import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR } from '../src/migrations.js';
import { migrate, tempDir } from './helpers.js';

const SHIPPED = readdirSync(DEFAULT_MIGRATIONS_DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort();

/** Everything that a migration could change: the schema and the migration record. */
function snapshot(path: string) {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return {
      schema: db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all(),
      applied: db
        .prepare('SELECT name FROM schema_migrations ORDER BY name')
        .all()
        .map((r) => r.name),
    };
  } finally {
    db.close();
  }
}

describe('migrate CLI (SQLite)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let env: Record<string, string>;
  beforeEach(() => {
    tmp = tempDir();
    env = { DATABASE_URL: `file:${tmp.dir}/db/api.sqlite` };
  });
  afterEach(() => tmp.cleanup());

  it('ships at least the agents table and a second migration, named NNNN_description.sql', () => {
    expect(SHIPPED[0]).toBe('0001_create_agents.sql');
    expect(SHIPPED.length).toBeGreaterThanOrEqual(2);
    for (const f of SHIPPED) expect(f).toMatch(/^\d{4}_[a-z0-9_]+\.sql$/);
  });

  it('pending lists every migration on a fresh database, as JSON', async () => {
    const result = await migrate(['pending'], env);
    expect(result).toEqual({ code: 0, stdout: [JSON.stringify(SHIPPED)], stderr: [] });
  });

  it('up applies all in order, then a second up applies nothing', async () => {
    const first = await migrate(['up'], env);
    expect(first.code).toBe(0);
    expect(first.stderr).toEqual([]);
    expect(first.stdout).toEqual([...SHIPPED.map((f) => `applied ${f}`), `migrations: ${SHIPPED.length} applied`]);
    expect(snapshot(`${tmp.dir}/db/api.sqlite`).applied).toEqual(SHIPPED);

    const second = await migrate(['up'], env);
    expect(second).toEqual({ code: 0, stdout: ['migrations: 0 applied, up to date'], stderr: [] });
    expect(await migrate(['pending'], env)).toMatchObject({ code: 0, stdout: ['[]'] });

    const status = await migrate(['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout.at(-1)).toBe(`migrations: ${SHIPPED.length} applied, 0 pending`);
    expect(status.stdout[0]).toMatch(/^applied\s+0001_create_agents\.sql\s+\d{4}-\d\d-\d\dT/);
  });

  it('a failing migration exits 1 naming the file and leaves the database as it was', async () => {
    expect((await migrate(['up'], env)).code).toBe(0);
    const dbPath = `${tmp.dir}/db/api.sqlite`;
    const before = snapshot(dbPath);

    const dir = join(tmp.dir, 'migrations');
    mkdirSync(dir);
    for (const f of SHIPPED) copyFileSync(join(DEFAULT_MIGRATIONS_DIR, f), join(dir, f));
    // The first statement succeeds, the second fails: the transaction must undo the first.
    writeFileSync(join(dir, '9001_broken.sql'), 'CREATE TABLE half_done (x TEXT);\nINSERT INTO no_such_table VALUES (1);\n');
    writeFileSync(join(dir, '9002_never_reached.sql'), 'CREATE TABLE never (x TEXT);\n');
    const brokenEnv = { ...env, MIGRATIONS_DIR: dir };

    expect(await migrate(['pending'], brokenEnv)).toMatchObject({
      code: 0,
      stdout: [JSON.stringify(['9001_broken.sql', '9002_never_reached.sql'])],
    });
    const result = await migrate(['up'], brokenEnv);
    expect(result.code).toBe(1);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toEqual(['migration failed: 9001_broken.sql: no such table: no_such_table']);
    expect(snapshot(dbPath)).toEqual(before);

    const status = await migrate(['status'], brokenEnv);
    expect(status.stdout).toContain('pending  9001_broken.sql');
  });

  it('applies what precedes a failure and reports the count only on success', async () => {
    const dir = join(tmp.dir, 'migrations');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_ok.sql'), 'CREATE TABLE ok_table (x TEXT);');
    writeFileSync(join(dir, '0002_bad.sql'), 'CREATE TABLE ok_table (x TEXT);');
    const result = await migrate(['up'], { ...env, MIGRATIONS_DIR: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toEqual(['applied 0001_ok.sql']);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(/^migration failed: 0002_bad\.sql: table ok_table already exists$/);
    expect(snapshot(`${tmp.dir}/db/api.sqlite`).applied).toEqual(['0001_ok.sql']);
  });

  it('exits 2 with a masked URL when the database cannot be reached', async () => {
    const result = await migrate(['up'], { DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/pod' });
    expect(result.code).toBe(2);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(/^cannot connect to database postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/pod: .+/);
    expect(result.stderr[0]).not.toContain('hunter2');
  });

  it('exits 64 on an unknown command or a missing migrations folder', async () => {
    expect((await migrate(['sideways'], env)).code).toBe(64);
    const missing = await migrate(['up'], { ...env, MIGRATIONS_DIR: join(tmp.dir, 'nope') });
    expect(missing.code).toBe(64);
    expect(missing.stderr[0]).toMatch(/migrations folder not found/);
  });
});
