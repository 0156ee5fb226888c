import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

const PGBIN = '/usr/lib/postgresql/15/bin';

export interface Postgres {
  url: string;
  port: number;
  /** A plain dump of schema and data, without the lines that change on every run. */
  dump(): string;
  psql(sql: string): string;
  stop(): void;
}

/**
 * A throwaway PostgreSQL cluster (initdb in a temp dir) on a free loopback port. The server
 * refuses to run as root, so as root it runs as the postgres user. Stopped with pg_ctl.
 */
export async function startPostgres(database = 'pod'): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), 'pod-pg-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const as = (argv: string[]) => (asRoot ? ['runuser', '-u', 'postgres', '--', ...argv] : argv);
  const run = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { stdio: 'pipe' }).toString();
  const port = await freePort();
  run(
    as([`${PGBIN}/initdb`, '-D', `${dir}/data`, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions']),
  );
  run(
    as([
      `${PGBIN}/pg_ctl`,
      '-D',
      `${dir}/data`,
      '-l',
      `${dir}/server.log`,
      '-w',
      '-t',
      '30',
      '-o',
      `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
      'start',
    ]),
  );
  const conn = ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'];
  run(['createdb', ...conn, database]);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/${database}`,
    port,
    dump: () =>
      run(['pg_dump', ...conn, '--no-owner', '--inserts', database])
        .split('\n')
        .filter((l) => !/^\\(un)?restrict /.test(l))
        .join('\n'),
    psql: (sql) => run(['psql', ...conn, '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql, database]).trim(),
    stop: () => {
      try {
        run(as([`${PGBIN}/pg_ctl`, '-D', `${dir}/data`, '-m', 'immediate', '-w', 'stop']));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
