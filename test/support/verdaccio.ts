import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { stopPid, waitFor } from './processes.ts';
import { workspaceRoot } from './workspace.ts';

export interface Verdaccio {
  url: string;
  port: number;
  /** Restarts on the same port and storage with other publish rules (e.g. to lift a fault). */
  restart(rules?: PublishRules): Promise<void>;
  /** Adds a user and logs in as `npm login` does: the token Verdaccio issues for it. */
  addUser(name: string, password: string): Promise<string>;
  stop(): Promise<void>;
}

/** Per package pattern: who may publish. `$nobody` (a group no one has) makes a publish fail for good. */
export type PublishRules = Record<string, string>;

function config(storage: string, rules: PublishRules): string {
  const packages = { ...rules, '@*/*': '$all', '**': '$all' };
  return [
    `storage: ${storage}`,
    'auth:',
    '  htpasswd:',
    `    file: ${join(storage, '..', 'htpasswd')}`,
    '    max_users: -1',
    'uplinks: {}',
    'packages:',
    ...Object.entries(packages).flatMap(([pattern, publish]) => [
      `  '${pattern}':`,
      '    access: $all',
      `    publish: ${publish}`,
      `    unpublish: ${publish}`,
    ]),
    'middlewares:',
    '  audit:',
    '    enabled: false',
    'log: { type: stdout, format: pretty, level: warn }',
    'publish:',
    '  allow_offline: true',
    '',
  ].join('\n');
}

/** A real Verdaccio with no uplinks on a free loopback port, storage in a temp dir; stopped by PID. */
export async function startVerdaccio(rules: PublishRules = {}): Promise<Verdaccio> {
  const dir = mkdtempSync(join(tmpdir(), 'pod-verdaccio-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const bin = join(workspaceRoot, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  let pid: number | undefined;

  const start = async (r: PublishRules) => {
    writeFileSync(join(dir, 'config.yaml'), config(join(dir, 'storage'), r));
    const log = openSync(join(dir, 'verdaccio.log'), 'a');
    const child = spawn(process.execPath, [bin, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`], {
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    pid = child.pid;
    let exited = false;
    child.on('exit', () => (exited = true));
    await waitFor(`verdaccio on ${url}`, async () => {
      if (exited) throw new Error(`verdaccio exited:\n${readFileSync(join(dir, 'verdaccio.log'), 'utf8')}`);
      return (await fetch(`${url}-/ping`).catch(() => undefined))?.ok || undefined;
    });
  };
  await start(rules);
  return {
    url,
    port,
    restart: async (r = {}) => {
      await stopPid(pid);
      await start(r);
    },
    addUser: async (name, password) => {
      // Registration is off (max_users: -1): the user goes into the htpasswd file, then logs in as `npm login` does.
      const sha = createHash('sha1').update(password).digest('base64');
      appendFileSync(join(dir, 'htpasswd'), `${name}:{SHA}${sha}:autocreated ${new Date().toISOString()}\n`);
      const res = await fetch(`${url}-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}` },
        body: JSON.stringify({ name, password }),
      });
      const body = (await res.json()) as { token?: string };
      if (!res.ok || !body.token) throw new Error(`verdaccio did not add user ${name}: ${res.status} ${JSON.stringify(body)}`);
      return body.token;
    },
    stop: async () => {
      await stopPid(pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
