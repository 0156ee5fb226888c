// The deploy plugin runs the built files, so these tests run them as it does: `node dist/main.js`
// and `node dist/migrate.js`, as child processes (exit codes, signals, exact stdout/stderr lines).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(PKG, 'dist/main.js');
const MIGRATE = join(PKG, 'dist/migrate.js');

function runMigrate(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [MIGRATE, ...args], { cwd, env: { ...process.env, DATABASE_URL: '', ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts dist/main.js and resolves with its URL once it printed the listening line. */
function startMain(cwd: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { ...process.env, DATABASE_URL: '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 15s; stderr: ${stderr}`)), 15_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      const m = /^api-server listening on (http:\/\/\S+)$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`exited with ${code} before listening; stderr: ${stderr}`)));
  });
  return { child, listening, exited, output: () => ({ stdout, stderr }) };
}

describe('built entry points', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    if (!existsSync(MAIN) || !existsSync(MIGRATE)) {
      throw new Error(`${MAIN} is missing: run \`npm run build -w @pod-protocol/api-server\` first`);
    }
  });
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('migrate.js defaults to ./data/api.sqlite in the working directory and the package migrations', () => {
    const first = runMigrate(['up'], tmp.dir);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied 0001_create_agents\.sql\n[\s\S]*migrations: \d+ applied\n$/);
    expect(existsSync(join(tmp.dir, 'data/api.sqlite'))).toBe(true);
    expect(runMigrate(['up'], tmp.dir)).toEqual({ code: 0, stdout: 'migrations: 0 applied, up to date\n', stderr: '' });
    expect(runMigrate(['pending'], tmp.dir)).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  });

  it('migrate.js prints exactly one stderr line and exits 1 when a migration fails', () => {
    const dir = join(tmp.dir, 'm');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_bad.sql'), 'CREATE TABLE t (x TEXT);\nSELECT * FROM missing_table;\n');
    const r = runMigrate(['up'], tmp.dir, { MIGRATIONS_DIR: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('migration failed: 0001_bad.sql: no such table: missing_table\n');
  });

  it('migrate.js exits 2 when it cannot connect', () => {
    const r = runMigrate(['status'], tmp.dir, { DATABASE_URL: 'postgresql://u:pw@127.0.0.1:1/db' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cannot connect to database postgresql:\/\/u:\*\*\*@127\.0\.0\.1:1\/db: .+\n$/);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`main.js serves, reports not ready before migrations, and exits 0 on ${signal}`, async () => {
      const server = startMain(tmp.dir, { API_TOKENS: 't=agents:read', GIT_SHA: 'deadbee' });
      try {
        const url = await server.listening;
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok', version: '0.1.0', gitSha: 'deadbee' });
        expect((await fetch(`${url}/ready`)).status).toBe(503);
        expect(runMigrate(['up'], tmp.dir).code).toBe(0);
        expect((await fetch(`${url}/ready`)).status).toBe(200);
        server.child.kill(signal);
        expect(await server.exited).toBe(0);
        expect(server.output().stdout.trim().split('\n')).toEqual([`api-server listening on ${url}`]);
        expect(server.output().stderr).toBe('');
      } finally {
        if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
      }
    });
  }

  it('main.js refuses bad configuration with a clear message and exit 1', () => {
    const r = spawnSync(process.execPath, [MAIN], { cwd: tmp.dir, env: { ...process.env, PORT: 'http' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^api-server: PORT must be an integer/);
  });
});
