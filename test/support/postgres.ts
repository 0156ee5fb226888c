import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
 * `listen`: another address of this machine (a test host's gateway); `netns`: inside a test host's
 * network namespace, on its own loopback (a database only that host reaches). `password`: TCP
 * connections must give it (scram-sha-256), from loopback and from the test hosts' 10.213.0.0/16.
 */
export async function startPostgres(database = 'pod', where: { listen?: string; netns?: string; password?: string } = {}): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), 'pod-pg-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const inNs = (argv: string[]) => (where.netns ? ['nsenter', `--net=/run/netns/${where.netns}`, ...argv] : argv);
  const as = (argv: string[]) => inNs(asRoot ? ['runuser', '-u', 'postgres', '--', ...argv] : argv);
  const run = (argv: string[], env: NodeJS.ProcessEnv = process.env) => execFileSync(argv[0]!, argv.slice(1), { stdio: 'pipe', env }).toString();
  const port = await freePort();
  const auth = where.password ? ['--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${dir}/pw`] : ['-A', 'trust'];
  if (where.password) {
    writeFileSync(`${dir}/pw`, `${where.password}\n`);
    if (asRoot) chownSync(`${dir}/pw`, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0);
  }
  run(as([`${PGBIN}/initdb`, '-D', `${dir}/data`, ...auth, '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions']));
  if (where.listen)
    appendFileSync(
      `${dir}/data/pg_hba.conf`,
      `host all all ${where.listen.replace(/\.\d+\.\d+$/, '.0.0')}/16 ${where.password ? 'scram-sha-256' : 'trust'}\n`,
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
      `-k ${dir} -p ${port} -c listen_addresses=${where.listen ?? '127.0.0.1'} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
      'start',
    ]),
  );
  const conn = ['-h', where.listen ?? '127.0.0.1', '-p', String(port), '-U', 'postgres'];
  const pgEnv = where.password ? { ...process.env, PGPASSWORD: where.password } : process.env;
  run(inNs(['createdb', ...conn, database]), pgEnv);
  return {
    url: `postgresql://postgres${where.password ? `:${encodeURIComponent(where.password)}` : ''}@${where.listen ?? '127.0.0.1'}:${port}/${database}`,
    port,
    dump: () =>
      run(inNs(['pg_dump', ...conn, '--no-owner', '--inserts', database]), pgEnv)
        .split('\n')
        .filter((l) => !/^\\(un)?restrict /.test(l))
        .join('\n'),
    psql: (sql) => run(inNs(['psql', ...conn, '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql, database]), pgEnv).trim(),
    stop: () => {
      try {
        run(as([`${PGBIN}/pg_ctl`, '-D', `${dir}/data`, '-m', 'immediate', '-w', 'stop']));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
