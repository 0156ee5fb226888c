import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { testToolsDir } from '../../scripts/provision/tools-dir.mjs';
import { freePort } from './ports.ts';
import { stopPid, waitFor } from './processes.ts';

const VERSION = 'v1.26.0';

export interface GiteaRelease {
  tag_name: string;
  name: string;
  body: string;
  prerelease: boolean;
  html_url: string;
}

export interface Gitea {
  url: string;
  /** The REST API's base URL for this forge (GitHub Enterprise's shape: <server>/api/v1). */
  apiUrl: string;
  /** owner/name of the repository created for the test. */
  repository: string;
  /** A personal access token of the owner with every scope (what the release's tokenVariable holds). */
  token: string;
  /** The repository's clone URL over HTTP, without credentials. */
  gitUrl: string;
  /** The `http.extraHeader` value that authenticates git as the owner (so no URL carries a password). */
  gitAuthHeader: string;
  releases(): Promise<GiteaRelease[]>;
  tags(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Gitea (a REAL forge, built by scripts/ci/gitea.sh into the test tools folder) on a free loopback
 * port, its SQLite database and repositories in a temp dir, one admin user and one empty
 * repository; stopped by PID.
 */
export async function startGitea(): Promise<Gitea> {
  const home = join(testToolsDir(), `gitea-${VERSION}`);
  const bin = join(home, 'gitea');
  if (!existsSync(bin)) throw new Error(`Gitea is not installed at ${bin}: run npm test (it provisions it) or scripts/ci/gitea.sh`);
  const dir = mkdtempSync(join(tmpdir(), 'pod-gitea-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, 'app.ini');
  mkdirSync(join(dir, 'repos'));
  writeFileSync(
    config,
    [
      // Tests run as root in CI; Gitea refuses that unless told.
      'I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true',
      `WORK_PATH = ${dir}`,
      'RUN_MODE = prod',
      '[server]',
      'HTTP_ADDR = 127.0.0.1',
      `HTTP_PORT = ${port}`,
      `ROOT_URL = ${url}/`,
      'DISABLE_SSH = true',
      'OFFLINE_MODE = true',
      `STATIC_ROOT_PATH = ${home}`,
      `APP_DATA_PATH = ${join(dir, 'data')}`,
      '[database]',
      'DB_TYPE = sqlite3',
      `PATH = ${join(dir, 'gitea.db')}`,
      '[security]',
      'INSTALL_LOCK = true',
      '[repository]',
      `ROOT = ${join(dir, 'repos')}`,
      '[log]',
      'LEVEL = Warn',
      `ROOT_PATH = ${join(dir, 'log')}`,
      '[cron]',
      'ENABLED = false',
      '',
    ].join('\n'),
  );
  const gitea = (...args: string[]) => execa(bin, [...args, '--config', config], { cwd: dir, env: { ...process.env, GITEA_WORK_DIR: dir } });
  const [user, password] = ['releaser', 'gitea-test-password-5e1'];
  await gitea('migrate');
  await gitea(
    'admin',
    'user',
    'create',
    '--admin',
    '--username',
    user,
    '--password',
    password,
    '--email',
    'releaser@test.local',
    '--must-change-password=false',
  );
  // --raw prints the token alone on its line; as root Gitea warns on stdout first.
  const generated = await gitea('admin', 'user', 'generate-access-token', '--username', user, '--token-name', 'release', '--scopes', 'all', '--raw');
  const token = /^[0-9a-f]{40}$/m.exec(generated.stdout)?.[0];
  if (!token) throw new Error(`Gitea: no access token in the output of generate-access-token:\n${generated.stdout}`);

  const logFile = join(dir, 'gitea.out');
  const log = openSync(logFile, 'a');
  const child = spawn(bin, ['web', '--config', config], { cwd: dir, env: { ...process.env, GITEA_WORK_DIR: dir }, stdio: ['ignore', log, log] });
  closeSync(log);
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  const stop = async () => {
    await stopPid(child.pid);
    rmSync(dir, { recursive: true, force: true });
  };
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`Gitea: ${method} ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  try {
    await waitFor(
      `Gitea on ${url}`,
      async () => {
        if (exited) throw new Error(`Gitea ${exited} before serving:\n${readFileSync(logFile, 'utf8')}`);
        return (await fetch(`${url}/api/v1/version`).catch(() => undefined))?.ok || undefined;
      },
      30_000,
    );
    await api('POST', '/user/repos', { name: 'pod-protocol', private: false, default_branch: 'main' });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    apiUrl: `${url}/api/v1`,
    repository: `${user}/pod-protocol`,
    token,
    gitUrl: `${url}/${user}/pod-protocol.git`,
    gitAuthHeader: `Authorization: Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    releases: () => api<GiteaRelease[]>('GET', `/repos/${user}/pod-protocol/releases?limit=50`),
    tags: async () => (await api<{ name: string }[]>('GET', `/repos/${user}/pod-protocol/tags?limit=50`)).map((t) => t.name),
    stop,
  };
}
