import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { isRunning, stopPid, waitFor } from '../support/processes.ts';

// The newcomer's command on a fresh clone: `npm run deploy:local` starts Verdaccio, deploys all six
// packages (the api-server and MCP server as local processes on SQLite, the frontend in the local
// CDN folder and its server, the SDK and CLI to Verdaccio), prints a summary and the URLs, and
// serves until Ctrl-C, which leaves no process behind. The crate registry is left out with
// --no-crates (the release tests publish the crate to a real one), whether or not it is installed
// or on PATH, so the crate is reported skipped, saying why.
describe('npm run deploy:local', () => {
  let clone: Clone;
  let run: ResultPromise<{ all: true; detached: true; reject: false; cwd: string; env: Record<string, string> }>;
  let output = '';
  const started: number[] = [];

  /** Every PID deploy:local and the deploys it ran left running: infrastructure, services, their proxies, site servers. */
  const runningPids = () => {
    const state = join(clone.dir, '.nx-deploy');
    const pids = JSON.parse(readFileSync(join(state, 'local', 'processes.json'), 'utf8')).map((p: { pid: number }) => p.pid) as number[];
    const services = join(state, 'services', 'development');
    for (const f of readdirSync(services).filter((f) => f.endsWith('.process.json')))
      pids.push(JSON.parse(readFileSync(join(services, f), 'utf8')).current.pid);
    for (const f of (readdirSync(join(state, 'proxy'), { recursive: true }) as string[]).filter((f) => f.endsWith('haproxy.pid')))
      pids.push(Number(readFileSync(join(state, 'proxy', f), 'utf8')));
    const site = join(state, 'sites', 'development', 'frontend', 'server.json');
    if (existsSync(site)) pids.push(JSON.parse(readFileSync(site, 'utf8')).pid);
    return pids;
  };
  const urlOf = (label: string) => new RegExp(`^deploy:local: +${label} +(http\\S+)$`, 'm').exec(output)?.[1];

  beforeAll(async () => {
    clone = await cloneWorkspace();
    run = execa('npm', ['run', 'deploy:local', '--', '--no-crates'], {
      cwd: clone.dir,
      // Its own process group, as a terminal's foreground job: Ctrl-C below is a SIGINT to the group.
      detached: true,
      all: true,
      reject: false,
      env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', PATH: process.env.PATH! },
    });
    run.all!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let exited: string | undefined;
    void run.then((r) => (exited = `deploy:local exited ${r.exitCode ?? r.signal}`));
    await waitFor(
      'deploy:local serving',
      () => {
        if (exited) throw new Error(`${exited}:\n${output}`);
        return output.includes('Ctrl-C stops everything') || undefined;
      },
      420_000,
    );
    started.push(...runningPids());
  }, 480_000);
  afterAll(async () => {
    if (run?.pid && isRunning(run.pid)) process.kill(-run.pid, 'SIGKILL');
    for (const pid of started) await stopPid(pid);
    await clone?.remove();
  });

  it('deploys everything and prints URLs that answer', async () => {
    expect(output).toMatch(/deploy:local: api-server +succeeded +http:\/\/127\.0\.0\.1:3000/);
    expect(output).toMatch(/deploy:local: frontend +succeeded +http:\/\/127\.0\.0\.1:4200/);
    expect(output).toMatch(/deploy:local: sdk-typescript +succeeded/);
    expect(output).toMatch(/deploy:local: cli +succeeded/);
    expect(output).toMatch(/deploy:local: nx-deploy +succeeded/);
    expect(output).toMatch(/deploy:local: sdk-rust +skipped +without the crate registry \(--no-crates\)/);
    expect((await fetch(urlOf('api-server health')!)).status).toBe(200);
    expect((await fetch(urlOf('mcp-server health')!)).status).toBe(200);
    const page = await fetch(urlOf('frontend')!);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, expect.stringMatching(/^text\/html/)]);
    const sdk = await (await fetch(urlOf('sdk \\(npm\\)')!)).json();
    expect(sdk['dist-tags'].local).toBe('0.1.0');
  });

  it('Ctrl-C stops everything it started, and nothing is left listening', async () => {
    expect(started.length).toBeGreaterThanOrEqual(4); // Verdaccio, api-server, mcp-server, the site server
    for (const pid of started) expect(isRunning(pid), `pid ${pid}`).toBe(true);
    process.kill(-run.pid!, 'SIGINT');
    await run;
    expect(output).toContain('stopping everything deploy:local started');
    for (const pid of started) expect(isRunning(pid), `pid ${pid} still runs`).toBe(false);
    for (const port of [3000, 3100, 4200, 4873]) await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});
