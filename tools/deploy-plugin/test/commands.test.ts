import { describe, expect, it } from 'vitest';
import { migratePending, migrateUp } from '../src/commands/migrate.ts';
import { pgDropRelations, pgDump, pgRestore } from '../src/commands/postgres.ts';
import { renderCommand } from '../src/core/run.ts';

const url = 'postgres://pod:pa%24%24@db.internal:6543/pod_staging';

describe('command builders', () => {
  it('pg_dump and pg_restore keep the password out of argv', () => {
    const dump = pgDump(url, '/b/1.dump');
    expect(dump.argv).toEqual(['pg_dump', '--format=custom', '--no-owner', '--file', '/b/1.dump']);
    expect(dump.env).toEqual({ PGHOST: 'db.internal', PGPORT: '6543', PGDATABASE: 'pod_staging', PGUSER: 'pod', PGPASSWORD: 'pa$$' });
    expect(renderCommand(pgRestore(url, '/b/1.dump'))).toBe(
      'pg_restore --clean --if-exists --single-transaction --no-owner --exit-on-error --dbname pod_staging /b/1.dump',
    );
  });

  it('drops what a failed run created, tables first', () => {
    expect(pgDropRelations(url, ['S public.x_seq', 'r public.x', 'v public."My View"']).input).toBe(
      'DROP TABLE IF EXISTS public.x CASCADE;\nDROP VIEW IF EXISTS public."My View" CASCADE;\nDROP SEQUENCE IF EXISTS public.x_seq CASCADE;',
    );
  });

  it('builds each migration tool as argv', () => {
    expect(migrateUp({ tool: 'builtin', script: 'dist/migrate.js' }, '/p', 'file:/d.sqlite').argv).toEqual(['node', 'dist/migrate.js', 'up']);
    expect(migrateUp({ tool: 'prisma', schema: 'prisma/schema.prisma' }, '/p', url)).toMatchObject({
      argv: ['prisma', 'migrate', 'deploy', '--schema', 'prisma/schema.prisma'],
      cwd: '/p',
      env: { DATABASE_URL: url },
    });
    expect(migrateUp({ tool: 'command', command: ['./migrate', '--yes'] }, '/p', url).argv).toEqual(['./migrate', '--yes']);
    expect(migratePending({ tool: 'prisma', schema: 's' }, '/p', url)).toBeUndefined();
    // The tool's own settings go with it (it inherits nothing else); DATABASE_URL is always the environment's.
    const env = { MIGRATIONS_DIR: '/m', DATABASE_URL: 'ignored' };
    expect(migrateUp({ tool: 'builtin', script: 'm.js' }, '/p', url, undefined, env).env).toEqual({ MIGRATIONS_DIR: '/m', DATABASE_URL: url });
    expect(migratePending({ tool: 'builtin', script: 'm.js' }, '/p', url, env)!.env).toEqual({ MIGRATIONS_DIR: '/m', DATABASE_URL: url });
  });

  it('renders arguments with shell metacharacters quoted, for display only', () => {
    expect(renderCommand({ argv: ['echo', "it's; rm -rf /", '$(x)'] })).toBe(`echo 'it'\\''s; rm -rf /' '$(x)'`);
  });
});
